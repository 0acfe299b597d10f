"""Sub-solar and sub-Earth points on the Moon, and the lunar libration seen from the Earth.

All are planetocentric latitude and east longitude in the MOON_ME frame (the frame of lunar maps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moonbase.constants import C_KM_S
from moonbase.ephemeris.kernels import lunar_ephemeris
from moonbase.ephemeris.topocentric import CORRECTIONS, body_fixed_vectors, stellar_aberration
from moonbase.errors import InputError
from moonbase.time import Time, tdb_seconds

__all__ = ["Libration", "SurfacePoint", "libration", "sub_earth_point", "subsolar_point"]


@dataclass(frozen=True)
class SurfacePoint:
    """Where a direction from the Moon's centre pierces the surface, and the distance to the body."""

    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    distance_km: np.ndarray


@dataclass(frozen=True)
class Libration:
    """Libration seen from the Earth's centre: the sub-Earth point, longitude in -180..180."""

    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    distance_km: np.ndarray


def _latlon(vector: np.ndarray) -> SurfacePoint:
    x, y, z = vector
    distance = np.sqrt(x * x + y * y + z * z)
    latitude = np.degrees(np.arcsin(z / distance))
    longitude = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    return SurfacePoint(latitude, longitude, distance)


def subsolar_point(t: Time, *, correction: str = "apparent") -> SurfacePoint:
    """The sub-solar point: where the Sun (apparent, from the Moon's centre) is at the zenith.

    Its latitude stays within about +-1.6 degrees (the lunar equator's 1.54-degree tilt to the
    ecliptic), which is why the poles see a grazing Sun.
    """
    centre = np.zeros(3)
    return _latlon(body_fixed_vectors(t, "sun", centre, correction=correction))


def sub_earth_point(t: Time, *, correction: str = "apparent") -> SurfacePoint:
    """The sub-Earth point seen from the Earth's centre (as SPICE ``subpnt`` with observer EARTH).

    With ``"apparent"`` the Moon's position is corrected for light time and stellar aberration
    (Earth's barycentric velocity) and its orientation is taken at the light-time-corrected epoch.
    """
    if correction not in CORRECTIONS:
        raise InputError(
            f"unknown correction {correction!r}",
            field="correction",
            hint=f"choose one of {', '.join(CORRECTIONS)}",
        )
    light_time, aberration = CORRECTIONS[correction]
    eph = lunar_ephemeris()
    et = np.asarray(tdb_seconds(t), dtype=float)
    shape = et.shape
    et = et.ravel()
    eph.check_coverage(et)
    earth_r, earth_v = eph.state("earth", et)
    tau = np.zeros_like(et)
    moon_r, _ = eph.state("moon", et)
    if light_time:
        for _ in range(3):
            tau = np.linalg.norm(moon_r - earth_r, axis=0) / C_KM_S
            moon_r, _ = eph.state("moon", et - tau)
    earth_to_moon = moon_r - earth_r
    if aberration:
        earth_to_moon = stellar_aberration(earth_to_moon, earth_v)
    rotation = eph.rotation(et - tau)
    moon_to_earth = -np.einsum("nij,jn->in", rotation, earth_to_moon)
    point = _latlon(moon_to_earth.reshape((3,) + shape))
    return point


def libration(t: Time) -> Libration:
    """Total (optical + physical) libration in longitude and latitude seen from the Earth's centre.

    This is the sub-Earth point in MOON_ME with longitude wrapped to -180..180 degrees: about
    +-7.9 degrees in longitude and +-6.9 degrees in latitude over a month.
    """
    point = sub_earth_point(t)
    longitude = np.mod(point.longitude_deg + 180.0, 360.0) - 180.0
    return Libration(point.latitude_deg, longitude, point.distance_km)
