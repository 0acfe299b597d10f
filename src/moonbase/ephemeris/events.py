"""Events: "a function of time plus a generic search".

A *predicate* is a function ``f(t) -> integer/bool array`` with a ``step_days`` attribute saying how
finely it must be sampled so that no two changes fall between samples. :func:`find_transitions`
turns any such predicate into the times it changes value (Skyfield's ``find_discrete`` root finder,
bisecting to one millisecond). :func:`above_elevation` builds the predicate "body above a given
elevation at a site", giving sunrise/sunset, Earth-rise/set and, with a terrain horizon later,
illumination and communication windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from skyfield.searchlib import find_discrete

from moonbase.ephemeris.topocentric import check_site, horizontal
from moonbase.errors import InputError
from moonbase.time import Time, parse_utc

__all__ = ["Crossings", "above_elevation", "elevation_crossings", "find_transitions"]

#: Root-finding precision: one millisecond, in days.
EPSILON_DAYS = 0.001 / 86_400.0


@dataclass(frozen=True)
class Crossings:
    """Times a body crosses an elevation; ``rising`` is True where it goes above."""

    times: Time
    rising: np.ndarray

    def __len__(self) -> int:
        return len(self.rising)


def above_elevation(
    body: str,
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    *,
    elevation_deg: float = 0.0,
    step_days: float = 1.0 / 24.0,
) -> Callable[[Time], np.ndarray]:
    """Predicate: is the centre of ``body`` above ``elevation_deg`` at the site?

    ``step_days`` (default one hour) must be shorter than the briefest interval above or below.
    At the poles, where the Sun grazes the horizon, keep it at an hour or less.
    """
    lat, lon, height = check_site(latitude_deg, longitude_deg, height_m)
    if lat.ndim:
        raise InputError("give one site, not an array", field="latitude_deg")

    def is_above(t: Time) -> np.ndarray:
        return horizontal(t, body, lat, lon, height).elevation_deg > elevation_deg

    is_above.step_days = step_days
    return is_above


def find_transitions(
    start, stop, predicate: Callable[[Time], np.ndarray]
) -> tuple[Time, np.ndarray]:
    """Times in ``[start, stop]`` where ``predicate`` changes, and its new values there."""
    start_t, stop_t = parse_utc(start, field="start"), parse_utc(stop, field="stop")
    if stop_t.tt <= start_t.tt:
        raise InputError("stop is not after start", field="stop")
    if not hasattr(predicate, "step_days"):
        raise InputError(
            "the predicate has no step_days attribute",
            field="predicate",
            hint="set predicate.step_days to the sampling interval in days",
        )
    return find_discrete(start_t, stop_t, predicate, epsilon=EPSILON_DAYS)


def elevation_crossings(
    start,
    stop,
    body: str,
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    *,
    elevation_deg: float = 0.0,
    step_days: float = 1.0 / 24.0,
) -> Crossings:
    """Risings and settings of ``body`` through ``elevation_deg`` at a site between two times.

    >>> c = elevation_crossings("2030-01-01", "2030-03-01", "sun", 0.0, 0.0)
    >>> len(c), bool(c.rising[0]) != bool(c.rising[1])
    (4, True)
    """
    predicate = above_elevation(
        body,
        latitude_deg,
        longitude_deg,
        height_m,
        elevation_deg=elevation_deg,
        step_days=step_days,
    )
    times, values = find_transitions(start, stop, predicate)
    return Crossings(times, np.asarray(values, dtype=bool))
