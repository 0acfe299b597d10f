"""Eclipses, Earth visibility and surface-site contact for a spacecraft in lunar orbit.

All vectors are Moon-centred J2000, km, shape ``(3, N)``.

Eclipses use a **conical** shadow model: the Sun, the Moon and the Earth are spheres seen as
disks from the spacecraft; the sunlit fraction is one minus the overlap of the occulting disks
with the solar disk (flat-disk overlap, exact for small angles), so penumbra and umbra are both
resolved. Light time and atmospheric refraction at the Earth's limb are ignored.

Earth visibility: the Earth's centre is not behind the Moon (a grazing line of sight counts as
visible). Site contact: elevation of the spacecraft above the site's local horizontal plane
(perpendicular to the radius of the 1737.4 km sphere) at least the mask; terrain is ignored.
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import EARTH_RADIUS_KM, MOON_RADIUS_KM, SUN_RADIUS_KM
from moonbase.windows import Windows

__all__ = [
    "Windows",
    "disk_overlap_fraction",
    "earth_visible",
    "find_windows",
    "shadow_margins_by_body_rad",
    "shadow_margins_rad",
    "site_elevation_deg",
    "sunlit_fraction",
]


def disk_overlap_fraction(sun_radius_rad, body_radius_rad, separation_rad) -> np.ndarray:
    """Fraction of the solar disk (radius ``sun_radius_rad``) covered by a disk of radius
    ``body_radius_rad`` whose centre is ``separation_rad`` away (circle-circle overlap area)."""
    a, b, c = np.broadcast_arrays(
        np.asarray(sun_radius_rad, float),
        np.asarray(body_radius_rad, float),
        np.asarray(separation_rad, float),
    )
    out = np.zeros(a.shape)
    full = c <= np.abs(b - a)
    out[full] = np.where(b[full] >= a[full], 1.0, (b[full] / a[full]) ** 2)
    part = (c < a + b) & ~full
    ap, bp, cp = a[part], b[part], c[part]
    x = (cp**2 + ap**2 - bp**2) / (2.0 * cp)
    y2 = np.maximum(ap**2 - x**2, 0.0)
    area = (
        ap**2 * np.arccos(np.clip(x / ap, -1, 1))
        + bp**2 * np.arccos(np.clip((cp - x) / bp, -1, 1))
        - cp * np.sqrt(y2)
    )
    out[part] = area / (np.pi * ap**2)
    return np.clip(out, 0.0, 1.0)


def _angle_between(u, v):
    cross = np.linalg.norm(np.cross(u, v, axis=0), axis=0)
    return np.arctan2(cross, np.sum(u * v, axis=0))


def sunlit_fraction(sc_km, sun_km, earth_km) -> np.ndarray:
    """Visible fraction (0..1) of the solar disk from the spacecraft, Moon and Earth shadows.

    ``sun_km`` and ``earth_km`` are the Sun's and Earth's positions relative to the Moon.
    """
    to_sun = sun_km - sc_km
    to_moon = -sc_km
    to_earth = earth_km - sc_km
    d_sun = np.linalg.norm(to_sun, axis=0)
    a_sun = np.arcsin(SUN_RADIUS_KM / d_sun)
    covered = np.zeros(d_sun.shape)
    for vec, radius in ((to_moon, MOON_RADIUS_KM), (to_earth, EARTH_RADIUS_KM)):
        dist = np.linalg.norm(vec, axis=0)
        a_body = np.arcsin(np.minimum(radius / dist, 1.0))
        # Only bodies in front of the Sun occult it.
        in_front = dist < d_sun
        sep = _angle_between(to_sun, vec)
        covered += np.where(in_front, disk_overlap_fraction(a_sun, a_body, sep), 0.0)
    return np.clip(1.0 - covered, 0.0, 1.0)


def shadow_margins_by_body_rad(sc_km, sun_km, earth_km) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Signed angular margins (rad) to the penumbra and the umbra of each shadow-casting body:
    ``{"earth": (penumbra, umbra), "moon": (penumbra, umbra)}``, negative inside.

    Penumbra margin: ``separation - (sun radius + body radius)`` (negative: some of the solar
    disk hidden by that body); umbra margin: ``separation - (body radius - sun radius)``
    (negative: all of it hidden). A body farther than the Sun casts no shadow (margin
    ``pi - ...``). Continuous in time, so window edges can be interpolated.
    """
    to_sun = sun_km - sc_km
    d_sun = np.linalg.norm(to_sun, axis=0)
    a_sun = np.arcsin(SUN_RADIUS_KM / d_sun)
    out = {}
    for body, vec, radius in (
        ("earth", earth_km - sc_km, EARTH_RADIUS_KM),
        ("moon", -sc_km, MOON_RADIUS_KM),
    ):
        dist = np.linalg.norm(vec, axis=0)
        a_body = np.arcsin(np.minimum(radius / dist, 1.0))
        sep = np.where(dist < d_sun, _angle_between(to_sun, vec), np.pi)
        out[body] = (sep - (a_sun + a_body), sep - (a_body - a_sun))
    return out


def shadow_margins_rad(sc_km, sun_km, earth_km) -> tuple[np.ndarray, np.ndarray]:
    """Signed angular margins (rad) to the penumbra and the umbra of either body: the smaller
    of :func:`shadow_margins_by_body_rad` over the Earth and the Moon (negative inside)."""
    by_body = shadow_margins_by_body_rad(sc_km, sun_km, earth_km)
    (pe, ue), (pm, um) = by_body["earth"], by_body["moon"]
    return np.minimum(pe, pm), np.minimum(ue, um)


def earth_visible(sc_km, earth_km) -> np.ndarray:
    """True where the Earth's centre is not hidden by the Moon, seen from the spacecraft."""
    to_earth = earth_km - sc_km
    to_moon = -sc_km
    d_moon = np.linalg.norm(to_moon, axis=0)
    a_moon = np.arcsin(np.minimum(MOON_RADIUS_KM / d_moon, 1.0))
    behind = (_angle_between(to_earth, to_moon) < a_moon) & (
        np.linalg.norm(to_earth, axis=0) > d_moon
    )
    return ~behind


def site_elevation_deg(sc_me_km, site_me_km) -> np.ndarray:
    """Elevation (deg) of the spacecraft above the horizontal plane of each site.

    ``sc_me_km (3, N)`` and ``site_me_km (3,)`` are both in the Moon-fixed frame.
    """
    site = np.asarray(site_me_km, dtype=float).reshape(3, 1)
    up = site / np.linalg.norm(site)
    los = sc_me_km - site
    return np.degrees(np.arcsin(np.sum(los * up, axis=0) / np.linalg.norm(los, axis=0)))


def find_windows(et_s, condition, value=None, threshold: float = 0.0) -> Windows:
    """Windows where boolean ``condition`` (sampled at ``et_s``, TDB s past J2000) is true.

    The shared :class:`moonbase.windows.Windows` type: edges are placed by linear
    interpolation of ``value - threshold`` between the samples that straddle them when
    ``value`` is given (a continuous function that is positive where the condition holds),
    otherwise half-way between samples. Windows open at the span's start or close at its end
    are cut there (:meth:`moonbase.windows.Windows.from_flags`).
    """
    return Windows.from_flags(condition, et_s, value=value, threshold=threshold)
