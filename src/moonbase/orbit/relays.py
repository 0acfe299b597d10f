"""Relay satellites in lunar orbit: where they are, and when a surface cell can use one.

A relay element of the scenario carries a :class:`~moonbase.scenario.models.RelayOrbit`
(two-body elements at an epoch; any object with the same attributes will do). This module:

* propagates it (:func:`relay_positions_me_km`): Keplerian two-body motion about the Moon with
  the DE421 lunar GM, 4902.800076 km^3/s^2, by :func:`moonbase.orbit.kepler.kepler_states`.
  **Lunar J2, the mascons and the Earth's and Sun's pulls are ignored**: the orbit's plane,
  eccentricity and periapsis stay fixed in inertial space. A frozen orbit is chosen so that its
  eccentricity and argument of periapsis stay near their values, which this matches; its node
  still drifts over months to years, which this does not follow. The inertial positions are
  turned into MOON_ME at each epoch with the DE421 lunar orientation;
* says when the relay serves a surface cell (:func:`relay_link`, a predicate for
  :func:`moonbase.windows.find_windows`): the relay's centre is above the cell's horizon
  (:func:`moonbase.site.predicates.in_view`, the one *in view*, terrain horizon included)
  **and** the Earth's centre is not hidden by the Moon seen from the relay
  (:func:`moonbase.orbit.visibility.earth_visible`). Geometric positions: no light time or
  aberration (they move a relay by well under an arcsecond);
* turns that into the systems twin's ``relay_available`` series (:func:`relay_availability`):
  for each time step ``[t_i, t_i + step)``, the **fraction of the step** during which at least
  one relay serves the cell, from evenly spaced sub-samples at the sub-interval midpoints
  (:func:`relay_samples_per_step`: about 60 per orbit, at least 6 per hour).

>>> from types import SimpleNamespace
>>> orbit = SimpleNamespace(periapsis_altitude_km=200.0, apoapsis_altitude_km=16_000.0,
...     inclination_deg=62.4, raan_deg=0.0, argument_of_periapsis_deg=90.0,
...     mean_anomaly_deg=0.0, epoch="2024-04-02T00:00:00", frame="moon_me_epoch")
>>> round(relay_period_s(orbit) / 3600.0, 2)
24.32
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from math import lcm

import numpy as np
import pandas as pd

from moonbase.constants import DAY_S, MOON_RADIUS_KM
from moonbase.ephemeris import lunar_ephemeris
from moonbase.errors import InputError
from moonbase.orbit.cr3bp import GM_MOON_KM3_S2
from moonbase.orbit.ephemeris_model import relative_states
from moonbase.orbit.kepler import kepler_period_s, kepler_states
from moonbase.orbit.visibility import earth_visible
from moonbase.site.predicates import in_view
from moonbase.time import Time, parse_utc, tdb_seconds, timescale

__all__ = [
    "GM_MOON_KM3_S2",
    "relay_availability",
    "relay_epoch_s",
    "relay_link",
    "relay_period_s",
    "relay_positions_j2000_km",
    "relay_positions_me_km",
    "relay_samples_per_step",
]

#: Sub-samples per step the availability series may use (divisors of 60, so that relays
#: sampled at different rates share a common grid).
_SAMPLE_COUNTS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
#: Sampling: at most this spacing (s), and about this many samples per orbit.
_MAX_SAMPLE_S = 600.0
_SAMPLES_PER_ORBIT = 60
#: Node spacing (s) of the interpolated lunar orientation and Earth position used for the long
#: series: linear interpolation over an hour is off by under 3 arcsec in orientation.
_NODE_S = 3600.0


def _elements(orbit) -> tuple[float, float]:
    rp = MOON_RADIUS_KM + float(orbit.periapsis_altitude_km)
    ra = MOON_RADIUS_KM + float(orbit.apoapsis_altitude_km)
    if ra < rp:
        raise InputError(
            "apoapsis_altitude_km is below periapsis_altitude_km", field="apoapsis_altitude_km"
        )
    return 0.5 * (rp + ra), (ra - rp) / (ra + rp)


def relay_period_s(orbit) -> float:
    """Two-body period (s) of a relay orbit."""
    return float(kepler_period_s(_elements(orbit)[0]))


def relay_epoch_s(orbit) -> float:
    """The orbit's epoch as TDB seconds past J2000 (a date is 00:00 UTC)."""
    epoch = orbit.epoch
    if isinstance(epoch, date) and not isinstance(epoch, datetime):
        epoch = datetime(epoch.year, epoch.month, epoch.day)
    return float(tdb_seconds(parse_utc(epoch, field="epoch")))


def relay_positions_j2000_km(orbit, et_s) -> np.ndarray:
    """Moon-centred J2000 positions ``(3,) + shape(et_s)`` km at TDB seconds ``et_s``."""
    et = np.asarray(et_s, dtype=float)
    a_km, e = _elements(orbit)
    et0 = relay_epoch_s(orbit)
    local = kepler_states(
        a_km,
        e,
        float(orbit.inclination_deg),
        float(orbit.raan_deg),
        float(orbit.argument_of_periapsis_deg),
        float(orbit.mean_anomaly_deg),
        et.reshape(-1) - et0,
    )[:3]
    frame = getattr(orbit, "frame", "moon_me_epoch")
    if frame == "moon_me_epoch":
        rot0 = lunar_ephemeris().rotation(np.array([et0]))[0]  # J2000 -> MOON_ME at the epoch
        local = rot0.T @ local
    elif frame != "j2000":
        raise InputError(
            f"unknown relay orbit frame {frame!r}",
            field="frame",
            hint="use 'moon_me_epoch' (MOON_ME at the epoch, held inertial) or 'j2000'",
        )
    return local.reshape((3,) + et.shape)


class _Geometry:
    """The Moon's orientation (J2000 -> MOON_ME) and the Earth's Moon-centred J2000 position.

    Exact (the DE421 kernels at every epoch) without ``nodes_s``; otherwise evaluated at the
    nodes and interpolated linearly between them (for long, finely sampled series).
    """

    def __init__(self, nodes_s: np.ndarray | None = None):
        self.nodes = nodes_s
        if nodes_s is not None:
            self._rotation = lunar_ephemeris().rotation(nodes_s).reshape(-1, 9)
            self._earth = relative_states("earth", nodes_s)[0]

    def rotation(self, et: np.ndarray) -> np.ndarray:
        if self.nodes is None:
            lunar_ephemeris().check_coverage(et)
            return lunar_ephemeris().rotation(et)
        out = np.empty((et.size, 9))
        for k in range(9):
            out[:, k] = np.interp(et, self.nodes, self._rotation[:, k])
        return out.reshape(-1, 3, 3)

    def earth(self, et: np.ndarray) -> np.ndarray:
        if self.nodes is None:
            return relative_states("earth", et)[0]
        return np.stack([np.interp(et, self.nodes, self._earth[k]) for k in range(3)])


def relay_positions_me_km(orbit, et_s) -> np.ndarray:
    """MOON_ME positions ``(3,) + shape(et_s)`` km of the relay at TDB seconds ``et_s``."""
    et = np.asarray(et_s, dtype=float)
    flat = et.reshape(-1)
    inertial = relay_positions_j2000_km(orbit, flat)
    me = np.einsum("nij,jn->in", _Geometry().rotation(flat), inertial)
    return me.reshape((3,) + et.shape)


def _serves(orbit, et: np.ndarray, site, horizon_deg, geometry: _Geometry) -> np.ndarray:
    """Flags ``(N,)``: relay above the cell's horizon and the Earth in view from the relay."""
    inertial = relay_positions_j2000_km(orbit, et)
    me = np.einsum("nij,jn->in", geometry.rotation(et), inertial)

    def position_km(_t):  # the relay's MOON_ME positions at the times being tested
        return me

    above = in_view(position_km, *site, horizon_deg)(et)
    return above & earth_visible(inertial, geometry.earth(et))


def relay_link(
    orbit,
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    horizon_deg=None,
    *,
    step_days: float | None = None,
) -> Callable[[Time], np.ndarray]:
    """Predicate ``f(t)``: can the cell use the relay at ``t``?

    True when the relay is above the cell's horizon (``horizon_deg`` as in
    :mod:`moonbase.site.predicates`: None, a level elevation or a ``(D,)`` terrain horizon) and
    the Earth is not occulted by the Moon seen from the relay. ``step_days`` (the sampling hint
    for :func:`moonbase.windows.find_windows`) defaults to the spacing of
    :func:`relay_samples_per_step`, about a sixtieth of the orbit and at most 10 minutes.
    """
    site = (float(latitude_deg), float(longitude_deg), float(height_m))
    step_s = min(relay_period_s(orbit) / _SAMPLES_PER_ORBIT, _MAX_SAMPLE_S)
    step = step_s / DAY_S if step_days is None else float(step_days)
    if not np.isfinite(step) or step <= 0:
        raise InputError("must be a positive number of days", field="step_days")

    def relay_serves(t: Time) -> np.ndarray:
        et = np.asarray(tdb_seconds(t), dtype=float)
        return _serves(orbit, et.reshape(-1), site, horizon_deg, _Geometry()).reshape(et.shape)

    relay_serves.step_days = step
    return relay_serves


def relay_samples_per_step(orbit, step_s: float) -> int:
    """Sub-samples per time step for the availability series: the fewest of 1, 2, 3, 4, 5,
    6, 10, 12, 15, 20, 30, 60 that space them at most a sixtieth of the orbit and 10 minutes."""
    spacing = min(relay_period_s(orbit) / _SAMPLES_PER_ORBIT, _MAX_SAMPLE_S)
    for count in _SAMPLE_COUNTS:
        if step_s / count <= spacing:
            return count
    return _SAMPLE_COUNTS[-1]


def _utc_naive(times) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns")


def _tdb_of_index(index: pd.DatetimeIndex) -> np.ndarray:
    seconds = index.second + index.microsecond * 1e-6 + index.nanosecond * 1e-9
    t = timescale().utc(
        index.year.to_numpy(),
        index.month.to_numpy(),
        index.day.to_numpy(),
        index.hour.to_numpy(),
        index.minute.to_numpy(),
        np.asarray(seconds, dtype=float),
    )
    return np.atleast_1d(np.asarray(tdb_seconds(t), dtype=float))


def relay_availability(
    orbits,
    times_utc,
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    horizon_deg=None,
    *,
    available_from: Sequence | None = None,
    samples_per_step: int | None = None,
) -> np.ndarray:
    """Fraction (0..1) of each step ``[t_i, t_i + step)`` in which at least one relay serves
    the cell (:func:`relay_link`'s condition), one value per time of ``times_utc``.

    ``orbits`` is one relay orbit or a sequence of them; ``times_utc`` a uniform UTC
    :class:`pandas.DatetimeIndex` (tz-naive UTC or tz-aware); ``available_from`` one UTC
    date/datetime or None per orbit (steps starting before it count the relay as absent).
    Each relay is sampled at :func:`relay_samples_per_step` midpoints of each step (or
    ``samples_per_step``); relays sampled at different rates are combined on their common
    grid. The lunar orientation and the Earth's position are interpolated between step-spaced
    nodes (hourly steps: under 3 arcsec). Vectorised: no loop over epochs.
    """
    if not isinstance(orbits, list | tuple):
        orbits = [orbits]
    index = _utc_naive(times_utc)
    n = len(index)
    if n == 0 or not orbits:
        return np.zeros(n)
    if available_from is None:
        available_from = [None] * len(orbits)
    if len(available_from) != len(orbits):
        raise InputError(
            f"{len(available_from)} available_from dates for {len(orbits)} orbits",
            field="available_from",
        )
    if n < 2:
        raise InputError("need at least two time steps", field="times_utc")
    step_ns = np.diff(index.asi8)
    if np.any(step_ns != step_ns[0]) or step_ns[0] <= 0:
        raise InputError("times must be increasing with a uniform step", field="times_utc")
    step_s = step_ns[0] / 1e9
    et_steps = _tdb_of_index(index)
    counts = [
        int(samples_per_step) if samples_per_step else relay_samples_per_step(o, step_s)
        for o in orbits
    ]
    if min(counts) < 1:
        raise InputError("must be at least 1", field="samples_per_step")
    fine = lcm(*counts)
    site = (float(latitude_deg), float(longitude_deg), float(height_m))
    nodes = np.concatenate([et_steps, [et_steps[-1] + step_s]])
    if step_s > _NODE_S:
        nodes = np.arange(nodes[0], nodes[-1] + _NODE_S, _NODE_S)
    geometry = _Geometry(nodes)
    union = np.zeros((n, fine), dtype=bool)
    for orbit, count, start in zip(orbits, counts, available_from, strict=True):
        first = 0
        if start is not None:
            moment = pd.Timestamp(start)
            if moment.tzinfo is not None:
                moment = moment.tz_convert("UTC").tz_localize(None)
            first = int(np.searchsorted(index.asi8, moment.as_unit("ns").value, side="left"))
        if first >= n:
            continue
        offsets = (np.arange(count) + 0.5) * (step_s / count)
        et = (et_steps[first:, None] + offsets[None, :]).reshape(-1)
        flags = _serves(orbit, et, site, horizon_deg, geometry).reshape(n - first, count)
        union[first:] |= np.repeat(flags, fine // count, axis=1)
    return union.mean(axis=1)
