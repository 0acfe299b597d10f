"""Local geometry shared by the site analyses: horizons in azimuth, the solar disk against them.

Conventions (the same as :mod:`moonbase.ephemeris` and :mod:`moonbase.terrain`):

* a horizon is sampled at ``D`` azimuths ``arange(D) * 360 / D`` degrees, clockwise from *local*
  north, and is linearly interpolated in azimuth (wrapping at 360 degrees);
* elevations are measured from the local horizontal plane, perpendicular to the 1737.4 km
  sphere's radius, so a bare sphere's horizon lies *below* zero (:func:`bare_sphere_horizon_deg`);
* the Sun is a uniformly bright disk. Against a horizon that is a straight but tilted line
  across the disk (the interpolated horizon is piecewise linear) the visible part is a circular
  segment whose height is set by the *perpendicular* distance of the disk's centre from that line:
  :func:`tilted_disk_fraction`. With a level horizon it reduces to
  :func:`moonbase.ephemeris.disk.solar_disk_fraction`.
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import MOON_RADIUS_M
from moonbase.ephemeris.disk import solar_disk_fraction
from moonbase.ephemeris.topocentric import enu_basis
from moonbase.errors import InputError

__all__ = [
    "bare_sphere_horizon_deg",
    "check_horizon",
    "enu_basis",
    "interpolate_horizon",
    "tilted_disk_fraction",
]


def check_horizon(horizon_deg, *, field: str = "horizon_deg", min_azimuths: int = 4) -> np.ndarray:
    """Return ``horizon_deg`` as a float array ``S + (D,)``; refuse NaNs and too few azimuths.

    float32 input stays float32 (a 512 x 512 x 360 map is 377 MB; it is never copied to float64).
    """
    horizon = np.asarray(horizon_deg)
    if horizon.dtype not in (np.float32, np.float64):
        horizon = horizon.astype(np.float64)
    if horizon.ndim == 0 or horizon.shape[-1] < min_azimuths:
        raise InputError(
            f"expected horizon elevations over at least {min_azimuths} azimuths in the last "
            f"axis, got shape {horizon.shape}",
            field=field,
            hint="pass HorizonMap.elevation_deg (rows, cols, D) or an (M, D) / (D,) array",
        )
    if not np.all(np.isfinite(horizon)):
        raise InputError(
            f"{int(np.count_nonzero(~np.isfinite(horizon)))} horizon values are NaN or infinite",
            field=field,
            hint="mask or fill the cells without terrain before computing visibility",
        )
    if horizon.min() < -90.0 or horizon.max() > 90.0:
        raise InputError("horizon elevations must lie within -90..90 degrees", field=field)
    return horizon


def bare_sphere_horizon_deg(height_above_ground_m=0.0) -> np.ndarray:
    """Horizon elevation of a bare 1737.4 km sphere seen from ``height_above_ground_m``.

    The geometric dip ``-arccos(R / (R + h))``: -0.0869 degrees at 2 m, -0.194 degrees at 10 m.
    """
    height = np.asarray(height_above_ground_m, dtype=float)
    return -np.degrees(np.arccos(MOON_RADIUS_M / (MOON_RADIUS_M + np.maximum(height, 0.0))))


def interpolate_horizon(horizon_deg, azimuth_deg) -> tuple[np.ndarray, np.ndarray]:
    """Horizon elevation and its slope (degrees per degree of azimuth) at ``azimuth_deg``.

    ``horizon_deg`` is ``(D,)`` or ``(M, D)``; ``azimuth_deg`` broadcasts against ``(M, T)`` (or
    ``(T,)`` for a single horizon). Linear interpolation between the ``D`` samples, wrapping.
    """
    horizon = np.asarray(horizon_deg, dtype=float)
    n_az = horizon.shape[-1]
    position = np.mod(np.asarray(azimuth_deg, dtype=float), 360.0) * (n_az / 360.0)
    lower = np.floor(position)
    weight = position - lower
    i0 = lower.astype(np.int64) % n_az
    i1 = (i0 + 1) % n_az
    if horizon.ndim == 1:
        h0, h1 = horizon[i0], horizon[i1]
    else:
        rows = np.arange(horizon.shape[0]).reshape((-1,) + (1,) * (i0.ndim - 1))
        h0, h1 = horizon[rows, i0], horizon[rows, i1]
    return h0 + weight * (h1 - h0), (h1 - h0) * (n_az / 360.0)


def tilted_disk_fraction(
    elevation_deg, angular_radius_deg, horizon_deg, slope=0.0, cos_elevation=None
) -> np.ndarray:
    """Fraction of a uniform disk above a straight horizon line tilted by ``slope``.

    ``slope`` is the horizon's rise in degrees per degree of azimuth at the disk's azimuth; on the
    sky a degree of azimuth spans ``cos(elevation)`` degrees, so the line's tilt is
    ``slope / cos(elevation)`` and the centre's perpendicular distance from it is
    ``(elevation - horizon) / sqrt(1 + tilt^2)``.
    """
    elevation = np.asarray(elevation_deg, dtype=float)
    if cos_elevation is None:
        cos_elevation = np.cos(np.radians(elevation))
    tilt = np.asarray(slope, dtype=float) / np.maximum(cos_elevation, 1e-6)
    distance = (elevation - horizon_deg) / np.sqrt(1.0 + tilt * tilt)
    return solar_disk_fraction(distance, angular_radius_deg, 0.0)
