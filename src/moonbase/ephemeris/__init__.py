"""The lunar environment engine: Sun and Earth seen from the Moon, lunar frames, events.

Everything is computed from DE421 (``skyfield-data``) and the NAIF DE421 lunar orientation
kernels (shipped in ``lunarsky``), offline, vectorised over sites and times.

>>> from moonbase.time import time_range
>>> from moonbase.ephemeris import horizontal
>>> t = time_range("2030-01-01", "2030-01-02", "12h")
>>> horizontal(t, "earth", -89.45, 222.69).elevation_deg.shape
(3,)
"""

from moonbase.ephemeris.disk import solar_disk_fraction, sun_angular_radius_deg
from moonbase.ephemeris.events import above_elevation, elevation_crossings, find_transitions
from moonbase.ephemeris.kernels import LunarEphemeris, lunar_ephemeris
from moonbase.ephemeris.points import libration, sub_earth_point, subsolar_point
from moonbase.ephemeris.topocentric import (
    CORRECTIONS,
    Horizontal,
    check_site,
    horizontal,
    surface_point_km,
    topocentric_vectors,
)

__all__ = [
    "CORRECTIONS",
    "Horizontal",
    "LunarEphemeris",
    "above_elevation",
    "check_site",
    "elevation_crossings",
    "find_transitions",
    "horizontal",
    "libration",
    "lunar_ephemeris",
    "solar_disk_fraction",
    "sub_earth_point",
    "subsolar_point",
    "sun_angular_radius_deg",
    "surface_point_km",
    "topocentric_vectors",
]
