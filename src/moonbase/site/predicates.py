"""One predicate per word: *sunlit*, *Earth in view*, *in view* (e.g. a relay), horizon-aware.

These are the definitions every stage uses (site series, campaign landing daylight, the
systems twin's drivers, the science windows), written once:

``sunlit``
    **any part of the solar disk is above the local horizon**: the visible disk fraction
    (:func:`moonbase.site.geometry.tilted_disk_fraction`, the Sun as a uniform disk against the
    horizon line at its azimuth) is greater than 0 (:func:`is_sunlit`). ``dark`` is its
    complement.
``Earth in view``
    **the centre of the Earth is above the local horizon** at its azimuth (:func:`is_in_view`).
``in view`` (a relay, any body)
    the centre of the target, given as a function of time returning its MOON_ME position, is
    above the local horizon at its azimuth.

The horizon is ``horizon_deg``: ``None`` for a flat horizon at 0 deg, a number for a level
horizon at that elevation, or ``(D,)`` elevations at azimuths ``arange(D) * 360 / D``
clockwise from local north (a terrain horizon, e.g. from :mod:`moonbase.terrain`). Sites are
``latitude_deg``, ``longitude_deg`` (east) and ``height_m`` above the 1737.4 km sphere.

Each factory returns a predicate in the manner of Skyfield's almanac: ``f(t) -> bool array``
of the shape of ``t`` with a ``step_days`` attribute (how finely to sample it), ready for the
generic search :func:`moonbase.windows.find_windows`:

>>> from moonbase.windows import find_windows
>>> w = find_windows(sunlit(-89.45, 222.69), "2030-01-01", "2030-01-15")  # flat horizon
>>> len(w), round(float(w.durations[0]) / 3600.0, 1)
(1, 112.5)
>>> w.stop_times()[0].utc_strftime("%Y-%m-%d %H:%M")
'2030-01-05 16:31'

Where a time series at a fixed step carries these flags as numbers (the systems drivers' disk
fraction and 0/1 Earth visibility), a sample is open when its value is above zero
(:func:`open_at`); a bucket of samples is open when it is open at every sample
(:func:`moonbase.windows.bucket_open`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from moonbase.ephemeris.disk import sun_angular_radius_deg
from moonbase.ephemeris.topocentric import check_site, enu_basis, horizontal, surface_point_km
from moonbase.errors import InputError
from moonbase.site.geometry import check_horizon, interpolate_horizon, tilted_disk_fraction
from moonbase.time import Time

__all__ = [
    "DEFAULT_STEP_DAYS",
    "SunView",
    "earth_in_view",
    "horizon_at",
    "in_view",
    "is_in_view",
    "is_sunlit",
    "open_at",
    "sun_view",
    "sunlit",
]

#: Default sampling hint of the predicates: one hour (the Sun moves ~0.5 deg in azimuth and
#: ~0.01 deg in elevation per hour at the pole; the Earth librates more slowly).
DEFAULT_STEP_DAYS = 1.0 / 24.0


def is_sunlit(sun_disk_fraction) -> np.ndarray:
    """The definition of *sunlit*: some of the solar disk shows (fraction > 0)."""
    return np.asarray(sun_disk_fraction, dtype=float) > 0.0


def is_in_view(elevation_deg, horizon_at_deg) -> np.ndarray:
    """The definition of *in view*: the target's centre is above the horizon at its azimuth."""
    return np.asarray(elevation_deg, dtype=float) > np.asarray(horizon_at_deg, dtype=float)


def open_at(values) -> np.ndarray:
    """A numeric per-sample window series (disk fraction, 0/1 visibility) as flags: value > 0."""
    return np.asarray(values, dtype=float) > 0.0


def _horizon(horizon_deg):
    """``None`` / a number / ``(D,)`` -> a level elevation (float) or a checked ``(D,)`` array."""
    if horizon_deg is None:
        return 0.0
    if np.ndim(horizon_deg) == 0:
        value = float(horizon_deg)
        if not np.isfinite(value) or abs(value) > 90.0:
            raise InputError("must be a finite elevation within -90..90", field="horizon_deg")
        return value
    horizon = check_horizon(horizon_deg)
    if horizon.ndim != 1:
        raise InputError(
            f"expected one site's horizon of shape (D,), got {horizon.shape}", field="horizon_deg"
        )
    return horizon


def horizon_at(horizon_deg, azimuth_deg) -> tuple[np.ndarray, np.ndarray]:
    """Horizon elevation (deg) and slope (deg per deg of azimuth) at ``azimuth_deg``.

    ``horizon_deg`` as in the module docstring (None: flat at 0 deg; a number: level).
    """
    horizon = _horizon(horizon_deg)
    azimuth = np.asarray(azimuth_deg, dtype=float)
    if isinstance(horizon, float):
        return np.full(azimuth.shape, horizon), np.zeros(azimuth.shape)
    return interpolate_horizon(horizon, azimuth)


@dataclass(frozen=True)
class SunView:
    """The Sun seen from a site against its horizon, arrays of the shape of the times."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_km: np.ndarray
    horizon_at_sun_deg: np.ndarray
    radius_deg: np.ndarray
    disk_fraction: np.ndarray

    @property
    def sunlit(self) -> np.ndarray:
        return is_sunlit(self.disk_fraction)


def sun_view(t: Time, latitude_deg, longitude_deg, height_m=0.0, horizon_deg=None) -> SunView:
    """Sun azimuth, elevation, horizon at its azimuth, angular radius and visible disk fraction.

    One site; ``t`` scalar or array. The disk fraction is
    :func:`moonbase.site.geometry.tilted_disk_fraction` against the (interpolated) horizon.
    """
    lat, lon, height = _one_site(latitude_deg, longitude_deg, height_m)
    sun = horizontal(t, "sun", lat, lon, height)
    h, slope = horizon_at(horizon_deg, sun.azimuth_deg)
    radius = sun_angular_radius_deg(sun.distance_km)
    fraction = tilted_disk_fraction(sun.elevation_deg, radius, h, slope)
    return SunView(sun.azimuth_deg, sun.elevation_deg, sun.distance_km, h, radius, fraction)


def _one_site(latitude_deg, longitude_deg, height_m):
    lat, lon, height = check_site(latitude_deg, longitude_deg, height_m)
    if lat.ndim != 0:
        raise InputError("give one site, not an array", field="latitude_deg")
    return float(lat), float(lon), float(height)


def _predicate(function: Callable[[Time], np.ndarray], step_days: float, name: str):
    if not np.isfinite(step_days) or step_days <= 0:
        raise InputError("must be a positive number of days", field="step_days")
    function.step_days = float(step_days)
    function.__name__ = name
    return function


def sunlit(
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    horizon_deg=None,
    *,
    step_days: float = DEFAULT_STEP_DAYS,
) -> Callable[[Time], np.ndarray]:
    """Predicate ``f(t)``: is any part of the solar disk above the site's horizon?"""
    site = _one_site(latitude_deg, longitude_deg, height_m)
    horizon = _horizon(horizon_deg)

    def is_lit(t: Time) -> np.ndarray:
        return sun_view(t, *site, horizon).sunlit

    return _predicate(is_lit, step_days, "sunlit")


def earth_in_view(
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    horizon_deg=None,
    *,
    step_days: float = DEFAULT_STEP_DAYS,
) -> Callable[[Time], np.ndarray]:
    """Predicate ``f(t)``: is the Earth's centre above the site's horizon?"""
    return in_view("earth", latitude_deg, longitude_deg, height_m, horizon_deg, step_days=step_days)


def in_view(
    target,
    latitude_deg: float,
    longitude_deg: float,
    height_m: float = 0.0,
    horizon_deg=None,
    *,
    step_days: float = DEFAULT_STEP_DAYS,
) -> Callable[[Time], np.ndarray]:
    """Predicate ``f(t)``: is the centre of ``target`` above the site's horizon?

    ``target`` is ``"sun"`` or ``"earth"`` (DE421, apparent, as :func:`horizontal`), or a
    function ``position_km(t) -> (3,) + t.shape`` giving the target's position in **MOON_ME**
    (Moon-centred, Moon-fixed mean-Earth/polar-axis axes), km, e.g. a relay satellite's
    propagated orbit rotated into MOON_ME. For such a target light time and aberration are the
    caller's (they move a relay by well under an arcsecond).
    """
    site = _one_site(latitude_deg, longitude_deg, height_m)
    horizon = _horizon(horizon_deg)
    if isinstance(target, str):
        body = target

        def visible(t: Time) -> np.ndarray:
            seen = horizontal(t, body, *site)
            return is_in_view(seen.elevation_deg, horizon_at(horizon, seen.azimuth_deg)[0])

        return _predicate(visible, step_days, f"{body}_in_view")
    if not callable(target):
        raise InputError(
            f"cannot use {target!r} as a target",
            field="target",
            hint="give 'sun', 'earth' or a function of time returning a MOON_ME position in km",
        )
    site_km = surface_point_km(*site)
    basis = enu_basis(site[0], site[1])  # rows east, north, up

    def target_visible(t: Time) -> np.ndarray:
        position = np.asarray(target(t), dtype=float)
        los = position - site_km.reshape((3,) + (1,) * (position.ndim - 1))
        east, north, up = np.tensordot(basis, los, axes=(1, 0))
        elevation = np.degrees(np.arctan2(up, np.hypot(east, north)))
        azimuth = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
        return is_in_view(elevation, horizon_at(horizon, azimuth)[0])

    return _predicate(target_visible, step_days, getattr(target, "__name__", "target") + "_in_view")
