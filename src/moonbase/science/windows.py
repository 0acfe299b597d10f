"""Window calendars for experiments: sunlit or dark, Earth in view, a sky target above the horizon.

Sunlit and Earth in view are the one definition of each word, :mod:`moonbase.site.predicates`
(any part of the solar disk, the Earth's centre, above the horizon; flat by default). A sky
target is a fixed direction (J2000 right ascension and declination, geometric: no aberration
or proper motion, which move it by less than 21 arcsec); its elevation uses the same local
frame as ``horizontal``: zenith along the radius of the 1737.4 km sphere, azimuth clockwise
from local north.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from skyfield.timelib import Time

from moonbase.ephemeris import lunar_ephemeris
from moonbase.ephemeris.topocentric import check_site
from moonbase.time import tdb_seconds
from moonbase.windows import bucket_open

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
    height_m: float = 0.0,
    horizon_deg=None,
    target_elevation_deg: float = 10.0,
) -> dict[str, np.ndarray]:
    """Boolean window series at one site over times ``t``.

    Keys: ``sunlit`` (any part of the solar disk above the horizon), ``dark`` (its
    complement), ``earth_in_view`` (the Earth's centre above the horizon), ``earth_hidden``
    (for a radio-quiet instrument) and ``target:<name>`` for each ``targets[name] = (ra_deg,
    dec_deg)`` above ``target_elevation_deg``. Sunlit and Earth in view are the one definition
    of each word (:mod:`moonbase.site.predicates`); ``horizon_deg`` is theirs (None: flat).
    """
    from moonbase.site.predicates import earth_in_view, sunlit

    lit = np.asarray(sunlit(latitude_deg, longitude_deg, height_m, horizon_deg)(t))
    earth = np.asarray(earth_in_view(latitude_deg, longitude_deg, height_m, horizon_deg)(t))
    out = {"sunlit": lit, "dark": ~lit, "earth_in_view": earth, "earth_hidden": ~earth}
    for name, (ra_deg, dec_deg) in (targets or {}).items():
        _, elevation = sky_target_horizontal(t, ra_deg, dec_deg, latitude_deg, longitude_deg)
        out[f"target:{name}"] = np.asarray(elevation > target_elevation_deg)
    return out


def bucket_windows(
    series: Mapping[str, np.ndarray], samples_per_bucket: int, *, min_open_fraction: float = 1.0
) -> dict[str, np.ndarray]:
    """Fold sampled window series into buckets of ``samples_per_bucket`` consecutive samples.

    The one bucket rule (:func:`moonbase.windows.bucket_open`): a bucket is open when at least
    ``min_open_fraction`` of its samples are open (1.0: open throughout). A trailing partial
    bucket is dropped.
    """
    return {
        name: bucket_open(values, samples_per_bucket, min_open_fraction=min_open_fraction)
        for name, values in series.items()
    }
