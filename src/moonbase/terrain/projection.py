"""South polar stereographic projection on the 1737.4 km sphere (the LOLA polar map projection).

Closed-form formulas, no trigonometry in the inverse (``tests/terrain`` checks them against pyproj
and IAU_2015:30135). With ``phi`` the latitude and ``lam`` the east longitude::

    x = 2 R tan(pi/4 + phi/2) sin(lam)
    y = 2 R tan(pi/4 + phi/2) cos(lam)

so longitude 0 points up (+y) from the pole and 90 E to the right (+x), like the LOLA products.
The projection is conformal: a direction with grid bearing ``b`` (clockwise from +y) has local
azimuth ``b - lam`` (clockwise from local north), because local north at a point is the radial
direction away from the pole, whose grid bearing is the longitude.
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import MOON_RADIUS_M

__all__ = [
    "PROJ4_SOUTH_POLAR",
    "latlon_of_xy",
    "scale_factor",
    "unit_vectors_of_xy",
    "xy_of_latlon",
]

#: The projection as a PROJ string (equivalent to IAU_2015:30135).
PROJ4_SOUTH_POLAR = (
    "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"
)


def xy_of_latlon(latitude_deg, longitude_deg) -> tuple[np.ndarray, np.ndarray]:
    """Projected ``(x_m, y_m)`` of planetocentric latitude/east longitude (degrees)."""
    lat = np.radians(np.asarray(latitude_deg, dtype=float))
    lon = np.radians(np.asarray(longitude_deg, dtype=float))
    rho = 2.0 * MOON_RADIUS_M * np.tan(np.pi / 4.0 + lat / 2.0)
    return rho * np.sin(lon), rho * np.cos(lon)


def latlon_of_xy(x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """``(latitude_deg, longitude_deg)`` of projected coordinates; longitude east, 0-360.

    At the exact pole the longitude is 0 by convention.
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    rho = np.hypot(x, y)
    lat = np.degrees(2.0 * np.arctan(rho / (2.0 * MOON_RADIUS_M))) - 90.0
    lon = np.mod(np.degrees(np.arctan2(x, y)), 360.0)
    return lat, lon


def scale_factor(x_m, y_m) -> np.ndarray:
    """Map scale (grid metres per surface metre) at ``(x, y)``: 1 at the pole, 1.0019 at 85 S."""
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    return 1.0 + (x * x + y * y) / (4.0 * MOON_RADIUS_M**2)


def unit_vectors_of_xy(x_m, y_m) -> np.ndarray:
    """Body-fixed unit vectors ``(..., 3)`` (x towards 0 E, z towards the north pole) of grid points.

    Inverse stereographic projection without trigonometry: with ``q2 = (x^2 + y^2) / (2R)^2``,
    ``z = (q2 - 1) / (q2 + 1)`` and ``(X, Y) = (y, x) / (R (q2 + 1))``.
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    q2 = (x * x + y * y) / (4.0 * MOON_RADIUS_M**2)
    d = MOON_RADIUS_M * (q2 + 1.0)
    return np.stack([y / d, x / d, (q2 - 1.0) / (q2 + 1.0)], axis=-1)
