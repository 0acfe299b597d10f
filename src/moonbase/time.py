"""The one time type of moonbase: Skyfield's :class:`~skyfield.timelib.Time`, arrays first.

Times enter as UTC (strings, datetimes or calendar numbers) and are handled as TDB inside.
Build them with :func:`timescale` (a single built-in timescale; nothing is downloaded),
:func:`parse_utc` for user text and :func:`time_range` for evenly spaced arrays.

>>> t = time_range("2030-01-01", "2030-01-02", "6h")
>>> len(t)
5
>>> t[0].utc_strftime("%Y-%m-%d %H:%M")
'2030-01-01 00:00'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
from skyfield.api import load
from skyfield.timelib import Time, Timescale

from moonbase.constants import DAY_S, J2000_JD
from moonbase.errors import InputError

__all__ = [
    "Time",
    "parse_step",
    "parse_utc",
    "parse_utc_datetime",
    "tdb_seconds",
    "time_range",
    "timescale",
]

#: The most epochs one call of :func:`time_range` may create (about 5,700 years hourly).
MAX_EPOCHS = 50_000_000

_STEP_UNITS_S = {
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": DAY_S,
    "day": DAY_S,
    "days": DAY_S,
}
_STEP_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)\s*$")


@lru_cache(maxsize=1)
def timescale() -> Timescale:
    """The single timescale of the process (Skyfield's built-in leap-second and UT1 tables)."""
    return load.timescale(builtin=True)


def parse_utc_datetime(
    text: str | datetime | Time, *, field: str = "time", allow_offset: bool = False
) -> datetime:
    """The one UTC parser: ISO 8601 text, a datetime or a :class:`Time` -> an aware UTC datetime.

    Accepted: ``2030-01-01``, ``2030-01-01T06:30``, ``2030-01-01 06:30:15.5`` and the same with a
    trailing ``Z``; a naive datetime is taken as UTC. Offsets other than UTC are refused, since
    moonbase works in UTC at its edges, unless ``allow_offset`` (then they are converted).
    """
    if isinstance(text, Time):
        return text.utc_datetime()
    if isinstance(text, datetime):
        moment = text
    else:
        try:
            moment = datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise InputError(
                f"cannot read {text!r} as a UTC date",
                field=field,
                hint="use ISO 8601: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], e.g. 2030-01-01T06:00",
            ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.utcoffset() != UTC.utcoffset(None) and not allow_offset:
        raise InputError(
            f"{text!r} carries a non-UTC offset", field=field, hint="give the time in UTC"
        )
    return moment.astimezone(UTC)


def parse_utc(text: str | datetime | Time, *, field: str = "time") -> Time:
    """Parse an ISO 8601 UTC date or date-time into a scalar :class:`Time`.

    Accepted: ``2030-01-01``, ``2030-01-01T06:30``, ``2030-01-01 06:30:15.5`` and the same with a
    trailing ``Z``. Offsets other than UTC are refused, since moonbase works in UTC at its edges.
    The text is read by :func:`parse_utc_datetime`, the one parser.
    """
    if isinstance(text, Time):
        return text
    moment = parse_utc_datetime(text, field=field)
    seconds = moment.second + moment.microsecond * 1e-6
    return timescale().utc(
        moment.year, moment.month, moment.day, moment.hour, moment.minute, seconds
    )


def parse_step(text: str | float, *, field: str = "step") -> float:
    """Parse a time step such as ``1h``, ``30min``, ``10 s`` or ``0.5d`` into seconds.

    A bare number is taken as seconds.
    """
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        match = _STEP_RE.match(str(text).lower())
        if match is None or match.group(2) not in _STEP_UNITS_S:
            try:
                seconds = float(text)
            except ValueError:
                raise InputError(
                    f"cannot read {text!r} as a time step",
                    field=field,
                    hint="use a number and a unit: s, min, h or d, e.g. 1h or 30min",
                ) from None
        else:
            seconds = float(match.group(1)) * _STEP_UNITS_S[match.group(2)]
    if not np.isfinite(seconds) or seconds <= 0:
        raise InputError(f"step must be a positive duration, got {text!r}", field=field)
    return seconds


def time_range(
    start: str | datetime | Time,
    stop: str | datetime | Time,
    step: str | float,
    *,
    fields: tuple[str, str, str] = ("start", "stop", "step"),
) -> Time:
    """Evenly spaced times from ``start`` up to and including ``stop`` (when it falls on a step).

    Steps are uniform in elapsed (SI) time, so across a leap second the UTC labels that follow
    fall one second early (there has been none since 2016-12-31).

    ``step`` is a duration string (``"1h"``) or seconds. ``fields`` names the three arguments in
    error messages (the CLI passes ``("--start", "--stop", "--step")``).
    """
    start_t = parse_utc(start, field=fields[0])
    stop_t = parse_utc(stop, field=fields[1])
    step_s = parse_step(step, field=fields[2])
    span_s = (stop_t.tt - start_t.tt) * DAY_S
    if span_s <= 0:
        raise InputError(
            f"stop {stop_t.utc_iso()} is not after start {start_t.utc_iso()}",
            field=fields[1],
            hint="give a stop time later than the start time",
        )
    count = int(np.floor(span_s / step_s + 1e-9)) + 1
    if count > MAX_EPOCHS:
        raise InputError(
            f"{count:,} epochs requested, more than the limit of {MAX_EPOCHS:,}",
            field=fields[2],
            hint="use a larger step or a shorter span",
        )
    year, month, day, hour, minute, second = start_t.utc
    seconds = second + step_s * np.arange(count)
    return timescale().utc(int(year), int(month), int(day), int(hour), int(minute), seconds)


def tdb_seconds(t: Time) -> np.ndarray | float:
    """TDB seconds past J2000 (SPICE's "ephemeris time") for scalar or array times."""
    return (t.whole - J2000_JD) * DAY_S + t.tdb_fraction * DAY_S
