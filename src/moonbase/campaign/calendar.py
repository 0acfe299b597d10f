"""The planning grid: time buckets and the landing-daylight calendar at the site.

>>> from datetime import date
>>> starts = bucket_starts(date(2030, 1, 1), date(2030, 4, 1), "month")
>>> [d.isoformat() for d in starts]
['2030-01-01', '2030-02-01', '2030-03-01', '2030-04-01']
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from moonbase.errors import InputError

__all__ = ["bucket_starts", "daylight_by_bucket", "landing_daylight_calendar"]

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def bucket_starts(start: date, end: date, bucket: str = "month") -> list[date]:
    """Bucket boundaries from ``start`` to at least ``end``: ``n + 1`` dates for ``n`` buckets.

    ``bucket`` is ``month``, ``quarter``, ``year`` (aligned to the first of the month of
    ``start``), ``week`` or ``<N>d`` (N days, from ``start`` itself).
    """
    if end <= start:
        raise InputError(f"window end {end} is not after start {start}", field="campaign.end")
    if bucket in _MONTHS:
        step = _MONTHS[bucket]
        first = date(start.year, start.month, 1)
        out = [first]
        while out[-1] < end:
            out.append(_add_months(out[-1], step))
        return out
    days = 7 if bucket == "week" else None
    if days is None and bucket.endswith("d") and bucket[:-1].isdigit() and int(bucket[:-1]) > 0:
        days = int(bucket[:-1])
    if days is None:
        raise InputError(
            f"unknown bucket {bucket!r}",
            field="bucket",
            hint="use month, quarter, year, week or a number of days such as 10d",
        )
    out = [start]
    while out[-1] < end:
        out.append(out[-1] + timedelta(days=days))
    return out


def landing_daylight_calendar(
    starts: list[date],
    latitude_deg: float,
    longitude_deg: float,
    *,
    min_sun_elevation_deg: float = 0.0,
    step_h: float = 6.0,
) -> np.ndarray:
    """Fraction of each bucket during which the site is sunlit (flat horizon).

    With ``min_sun_elevation_deg`` at 0 a sample counts when it is *sunlit*, the one definition
    (:func:`moonbase.site.predicates.sunlit`: any part of the solar disk above the horizon);
    above 0, when the Sun's centre is that far above it (as
    :func:`moonbase.campaign.stage.landing_daylight` does with a terrain horizon). The Sun is
    sampled every ``step_h`` hours over the whole window in one vectorised call (flat horizon:
    terrain shading is the site stage's job); each bucket's fraction is the share of its
    samples that count.
    Returns shape ``(len(starts) - 1,)``.
    """
    from moonbase.site.predicates import sun_view
    from moonbase.time import timescale

    edges = np.array(starts, dtype="datetime64[D]")
    step = np.timedelta64(round(step_h * 3600), "s")
    samples = np.arange(edges[0].astype("datetime64[s]"), edges[-1].astype("datetime64[s]"), step)
    seconds = (samples - np.datetime64("1970-01-01T00:00:00", "s")).astype(np.float64)
    jd_utc = 2440587.5 + seconds / 86400.0
    t = timescale().utc(1970, 1, 1 + seconds / 86400.0) if jd_utc.size else None
    sun = sun_view(t, latitude_deg, longitude_deg)
    if min_sun_elevation_deg == 0.0:
        above = np.asarray(sun.sunlit, dtype=float)
    else:
        above = (np.asarray(sun.elevation_deg) > min_sun_elevation_deg).astype(float)
    index = np.searchsorted(samples, edges[:-1].astype("datetime64[s]"), side="left")
    counts = np.diff(np.append(index, samples.size))
    sums = np.add.reduceat(above, np.minimum(index, samples.size - 1))
    sums = np.where(counts > 0, sums, 0.0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def daylight_by_bucket(starts: list[date], times_utc, daylight) -> np.ndarray:
    """Fraction of each bucket's samples with ``daylight`` True, shape ``(len(starts) - 1,)``.

    ``times_utc`` are the sample times (a ``DatetimeIndex`` or ``datetime64`` array, UTC) and
    ``daylight`` the flags at them, e.g. the chosen cell's ``lit`` series from the site stage
    (Sun above its terrain horizon). A bucket without samples (before the plan's date, say)
    has no daylight.

    >>> import pandas as pd
    >>> t = pd.date_range("2030-01-01", periods=4 * 24, freq="1h")
    >>> lit = (t.day % 2) == 1
    >>> daylight_by_bucket([date(2030, 1, 1), date(2030, 1, 3), date(2030, 1, 5)], t, lit).tolist()
    [0.5, 0.5]
    """
    samples = np.asarray(times_utc, dtype="datetime64[s]")
    flags = np.asarray(daylight, dtype=float)
    if samples.shape != flags.shape:
        raise InputError(f"{samples.size} times but {flags.size} daylight flags", field="daylight")
    edges = np.array(starts, dtype="datetime64[D]").astype("datetime64[s]")
    index = np.searchsorted(samples, edges, side="left")
    counts = np.diff(index)
    cumulative = np.concatenate(([0.0], np.cumsum(flags)))
    sums = cumulative[index[1:]] - cumulative[index[:-1]]
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
