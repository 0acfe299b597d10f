"""Window calendars for experiments: sunlit or dark, Earth in view, a sky target above the horizon.

Sun and Earth come from :func:`moonbase.ephemeris.horizontal` (flat horizon: elevation of the
body's centre). A sky target is a fixed direction (J2000 right ascension and declination,
geometric: no aberration or proper motion, which move it by less than 21 arcsec); its
elevation uses the same local frame as ``horizontal``: zenith along the radius of the
1737.4 km sphere, azimuth clockwise from local north.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from skyfield.timelib import Time

from moonbase.ephemeris import horizontal, lunar_ephemeris
from moonbase.ephemeris.topocentric import check_site
from moonbase.errors import InputError
from moonbase.time import tdb_seconds

__all__ = [
    "bucket_windows",
    "radec_unit_vector",
    "sky_target_body_fixed",
    "sky_target_horizontal",
    "window_series",
]


def radec_unit_vector(ra_deg, dec_deg) -> np.ndarray:
    """Unit vector(s) ``(3,)+shape`` in J2000 of right ascension / declination in degrees."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def sky_target_body_fixed(t: Time, ra_deg: float, dec_deg: float) -> np.ndarray:
    """The target's direction in MOON_ME at times ``t``, shape ``(3,)`` or ``(3, N)``."""
    et = np.atleast_1d(tdb_seconds(t))
    eph = lunar_ephemeris()
    eph.check_coverage(et)
    rotation = eph.rotation(et, "ME")
    out = np.einsum("nij,j->in", rotation, radec_unit_vector(ra_deg, dec_deg))
    return out[:, 0] if np.ndim(tdb_seconds(t)) == 0 else out


def sky_target_horizontal(t: Time, ra_deg: float, dec_deg: float, latitude_deg, longitude_deg):
    """Azimuth (clockwise from north) and elevation, degrees, of a fixed sky direction.

    Returns ``(azimuth_deg, elevation_deg)`` of shape ``S+T`` for sites of shape ``S`` and
    times of shape ``T``, as :func:`moonbase.ephemeris.horizontal` does.
    """
    lat, lon, _ = check_site(latitude_deg, longitude_deg)
    vec = sky_target_body_fixed(t, ra_deg, dec_deg)
    extra = (None,) * (vec.ndim - 1)
    phi, lam = np.radians(lat)[(..., *extra)], np.radians(lon)[(..., *extra)]
    x, y, z = vec
    horizontal_part = np.cos(lam) * x + np.sin(lam) * y
    up = np.cos(phi) * horizontal_part + np.sin(phi) * z
    east = -np.sin(lam) * x + np.cos(lam) * y
    north = -np.sin(phi) * horizontal_part + np.cos(phi) * z
    elevation = np.degrees(np.arcsin(np.clip(up, -1.0, 1.0)))
    azimuth = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
    return azimuth, elevation


def window_series(
    t: Time,
    latitude_deg: float,
    longitude_deg: float,
    *,
    targets: Mapping[str, tuple[float, float]] | None = None,
    sun_elevation_deg: float = 0.0,
    earth_elevation_deg: float = 0.0,
    target_elevation_deg: float = 10.0,
) -> dict[str, np.ndarray]:
    """Boolean window series at one site over times ``t``.

    Keys: ``sunlit`` (Sun centre above ``sun_elevation_deg``), ``dark`` (its complement),
    ``earth_in_view``, ``earth_hidden`` (for a radio-quiet instrument) and
    ``target:<name>`` for each ``targets[name] = (ra_deg, dec_deg)`` above
    ``target_elevation_deg``.
    """
    sun = horizontal(t, "sun", latitude_deg, longitude_deg).elevation_deg
    earth = horizontal(t, "earth", latitude_deg, longitude_deg).elevation_deg
    out = {
        "sunlit": np.asarray(sun > sun_elevation_deg),
        "dark": np.asarray(sun <= sun_elevation_deg),
        "earth_in_view": np.asarray(earth > earth_elevation_deg),
        "earth_hidden": np.asarray(earth <= earth_elevation_deg),
    }
    for name, (ra_deg, dec_deg) in (targets or {}).items():
        _, elevation = sky_target_horizontal(t, ra_deg, dec_deg, latitude_deg, longitude_deg)
        out[f"target:{name}"] = np.asarray(elevation > target_elevation_deg)
    return out


def bucket_windows(
    series: Mapping[str, np.ndarray], samples_per_bucket: int, *, min_open_fraction: float = 1.0
) -> dict[str, np.ndarray]:
    """Fold sampled window series into buckets of ``samples_per_bucket`` consecutive samples.

    A bucket is open when at least ``min_open_fraction`` of its samples are open (1.0: open
    throughout). A trailing partial bucket is dropped.
    """
    if samples_per_bucket < 1:
        raise InputError("must be at least 1", field="samples_per_bucket")
    out = {}
    for name, values in series.items():
        values = np.asarray(values, dtype=bool)
        n = values.size // samples_per_bucket
        folded = values[: n * samples_per_bucket].reshape(n, samples_per_bucket)
        out[name] = folded.mean(axis=1) >= min_open_fraction - 1e-12
    return out
