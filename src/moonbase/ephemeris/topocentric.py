"""Where the Sun and the Earth are, seen from points on the lunar surface.

Sites are points at ``latitude_deg`` (planetocentric), ``longitude_deg`` (east) and ``height_m``
above the 1737.4 km sphere of the LOLA datum, fixed in the MOON_ME (mean Earth / polar axis) frame.
Results are vectorised over sites and times together: for site arrays of shape ``S`` and times of
shape ``T`` every output has shape ``S + T`` (``(3,) + S + T`` for vectors), with no Python loop
over epochs.

Aberration conventions (``correction=``):

``"apparent"`` (default)
    Converged Newtonian light time plus stellar aberration from the site's barycentric velocity:
    SPICE's ``CN+S``. This is where the body *appears*: use it for illumination and pointing.
``"astrometric"``
    Converged light time only (SPICE ``CN``).
``"geometric"``
    Instantaneous positions (SPICE ``NONE``).

The body-fixed frame is evaluated at the observation epoch (SPICE's ``refloc = 'OBSERVER'``).
Gravitational light deflection (milliarcseconds here) and refraction (no atmosphere) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from moonbase.constants import C_KM_S, MOON_RADIUS_M, MOON_SIDEREAL_DAYS
from moonbase.ephemeris.kernels import lunar_ephemeris
from moonbase.errors import InputError
from moonbase.time import Time, tdb_seconds

__all__ = [
    "CORRECTIONS",
    "Horizontal",
    "body_fixed_vectors",
    "check_site",
    "enu_basis",
    "horizontal",
    "stellar_aberration",
    "surface_point_km",
    "topocentric_vectors",
]

CORRECTIONS = {"apparent": (True, True), "astrometric": (True, False), "geometric": (False, False)}
_BODIES = ("sun", "earth")
_OMEGA_RAD_S = 2.0 * np.pi / (MOON_SIDEREAL_DAYS * 86_400.0)


@dataclass(frozen=True)
class Horizontal:
    """Topocentric coordinates of a body: azimuth clockwise from north, elevation above the
    local horizontal plane (perpendicular to the sphere's radius), distance, all shape ``S + T``."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_km: np.ndarray


def check_site(
    latitude_deg,
    longitude_deg,
    height_m=0.0,
    *,
    fields: tuple[str, str, str] = ("latitude_deg", "longitude_deg", "height_m"),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate site coordinates and broadcast them to one shape; longitudes wrap to [0, 360)."""
    lat, lon, height = np.broadcast_arrays(
        np.asarray(latitude_deg, dtype=float),
        np.asarray(longitude_deg, dtype=float),
        np.asarray(height_m, dtype=float),
    )
    for values, field in zip((lat, lon, height), fields, strict=True):
        if not np.all(np.isfinite(values)):
            raise InputError("must be a finite number", field=field)
    bad = np.abs(lat) > 90.0
    if np.any(bad):
        raise InputError(
            f"latitude {lat[bad].flat[0]:g} is outside the valid range -90 to 90 degrees",
            field=fields[0],
        )
    if np.any(height < -20_000.0) or np.any(height > 1_000_000.0):
        raise InputError(
            "height must lie between -20,000 m and 1,000,000 m above the 1737.4 km sphere",
            field=fields[2],
        )
    return lat, np.mod(lon, 360.0), height


def enu_basis(latitude_deg, longitude_deg) -> np.ndarray:
    """Local east, north and up unit vectors ``S + (3, 3)`` (rows e, n, u) in the body frame.

    Up is along the sphere's radius; at a pole north is taken along the given longitude's
    meridian (the limit of approaching the pole along it).
    """
    phi = np.radians(np.asarray(latitude_deg, dtype=float))
    lam = np.radians(np.asarray(longitude_deg, dtype=float))
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    zero = np.zeros_like(phi)
    east = np.stack([-sl, cl, zero], axis=-1)
    north = np.stack([-sp * cl, -sp * sl, cp], axis=-1)
    up = np.stack([cp * cl, cp * sl, sp], axis=-1)
    return np.stack([east, north, up], axis=-2)


def surface_point_km(latitude_deg, longitude_deg, height_m=0.0) -> np.ndarray:
    """Body-fixed position ``(3,) + S`` in km of sites on the 1737.4 km sphere plus height."""
    lat, lon = np.radians(latitude_deg), np.radians(longitude_deg)
    radius_km = (MOON_RADIUS_M + np.asarray(height_m, dtype=float)) / 1000.0
    return radius_km * np.array(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat) + 0.0 * lon]
    )


@njit(parallel=True, cache=True)
def _site_vectors(
    site_km, rotation, centre_r, centre_v, target_r, target_v, tau_eval, light_time, aberration, out
):  # pragma: no cover - compiled
    """Fill ``out[3, M, N]`` with body-fixed vectors from each site to the target.

    ``target_r, target_v`` are the target's barycentric state at ``et - tau_eval``; each site's own
    light time is then solved on that (linearised) trajectory.
    """
    n_sites = site_km.shape[0]
    n_times = rotation.shape[0]
    for k in prange(n_sites * n_times):
        m = k // n_times
        n = k % n_times
        # Site position and velocity in J2000: r = R^T s, v = omega x r about the frame's z axis.
        sx, sy, sz = site_km[m, 0], site_km[m, 1], site_km[m, 2]
        rjx = rotation[n, 0, 0] * sx + rotation[n, 1, 0] * sy + rotation[n, 2, 0] * sz
        rjy = rotation[n, 0, 1] * sx + rotation[n, 1, 1] * sy + rotation[n, 2, 1] * sz
        rjz = rotation[n, 0, 2] * sx + rotation[n, 1, 2] * sy + rotation[n, 2, 2] * sz
        wx = rotation[n, 2, 0] * _OMEGA_RAD_S
        wy = rotation[n, 2, 1] * _OMEGA_RAD_S
        wz = rotation[n, 2, 2] * _OMEGA_RAD_S
        vx = centre_v[0, n] + wy * rjz - wz * rjy
        vy = centre_v[1, n] + wz * rjx - wx * rjz
        vz = centre_v[2, n] + wx * rjy - wy * rjx
        ox = centre_r[0, n] + rjx
        oy = centre_r[1, n] + rjy
        oz = centre_r[2, n] + rjz
        dx = target_r[0, n] - ox
        dy = target_r[1, n] - oy
        dz = target_r[2, n] - oz
        if light_time:
            tau = tau_eval[n]
            for _ in range(3):
                shift = tau - tau_eval[n]
                ex = dx - target_v[0, n] * shift
                ey = dy - target_v[1, n] * shift
                ez = dz - target_v[2, n] * shift
                tau = np.sqrt(ex * ex + ey * ey + ez * ez) / C_KM_S
            shift = tau - tau_eval[n]
            dx -= target_v[0, n] * shift
            dy -= target_v[1, n] * shift
            dz -= target_v[2, n] * shift
        if aberration:
            d = np.sqrt(dx * dx + dy * dy + dz * dz)
            ux, uy, uz = dx / d, dy / d, dz / d
            bx, by, bz = vx / C_KM_S, vy / C_KM_S, vz / C_KM_S
            ub = ux * bx + uy * by + uz * bz
            # Rotate u towards beta by phi, sin(phi) = |u x beta| (classical stellar aberration).
            px, py, pz = bx - ub * ux, by - ub * uy, bz - ub * uz
            cos_phi = np.sqrt(max(0.0, 1.0 - (px * px + py * py + pz * pz)))
            dx = d * (ux * cos_phi + px)
            dy = d * (uy * cos_phi + py)
            dz = d * (uz * cos_phi + pz)
        for i in range(3):
            out[i, m, n] = rotation[n, i, 0] * dx + rotation[n, i, 1] * dy + rotation[n, i, 2] * dz


def stellar_aberration(vector_km: np.ndarray, observer_velocity_km_s: np.ndarray) -> np.ndarray:
    """Apparent direction of ``vector_km`` (3, ...) for an observer moving at the given velocity.

    The vector is turned towards the velocity by the angle phi with ``sin(phi) = |u x v/c|``
    (classical aberration, as SPICE's ``stelab``); its length is kept.
    """
    distance = np.linalg.norm(vector_km, axis=0)
    u = vector_km / distance
    beta = observer_velocity_km_s / C_KM_S
    perpendicular = beta - u * np.sum(u * beta, axis=0)
    cos_phi = np.sqrt(np.clip(1.0 - np.sum(perpendicular**2, axis=0), 0.0, 1.0))
    return distance * (u * cos_phi + perpendicular)


def _target_state_for_light_time(eph, body, et, centre_r, light_time):
    """Target state at ``et - tau`` for the light time from the Moon's centre (one refinement)."""
    target_r, target_v = eph.state(body, et)
    if not light_time:
        return target_r, target_v, np.zeros_like(et)
    tau = np.linalg.norm(target_r - centre_r, axis=0) / C_KM_S
    target_r, target_v = eph.state(body, et - tau)
    return target_r, target_v, tau


def topocentric_vectors(
    t: Time,
    body: str,
    latitude_deg,
    longitude_deg,
    height_m=0.0,
    *,
    frame: str = "ME",
    correction: str = "apparent",
) -> np.ndarray:
    """Vectors from sites to ``body`` (``"sun"`` or ``"earth"``) in the body-fixed frame, km.

    Shape ``(3,) + S + T`` for site arrays of shape ``S`` and times of shape ``T``. Sites are
    always fixed in MOON_ME (the frame of lunar maps); ``frame`` chooses the axes of the output:
    ``"ME"`` (mean Earth / polar axis) or ``"PA"`` (principal axes).
    """
    if body not in _BODIES:
        raise InputError(f"unknown body {body!r}", field="body", hint="choose 'sun' or 'earth'")
    if correction not in CORRECTIONS:
        raise InputError(
            f"unknown correction {correction!r}",
            field="correction",
            hint=f"choose one of {', '.join(CORRECTIONS)}",
        )
    lat, lon, height = check_site(latitude_deg, longitude_deg, height_m)
    site_km = surface_point_km(lat, lon, height)
    return body_fixed_vectors(t, body, site_km, frame=frame, correction=correction)


def body_fixed_vectors(
    t: Time, body: str, site_km: np.ndarray, *, frame: str = "ME", correction: str = "apparent"
) -> np.ndarray:
    """Like :func:`topocentric_vectors` for body-fixed site positions ``(3,) + S`` in km.

    A site at the origin gives the view from the Moon's centre (e.g. for the sub-solar point).
    """
    light_time, aberration = CORRECTIONS[correction]
    site_shape = np.shape(site_km)[1:]
    site_km = np.ascontiguousarray(np.reshape(site_km, (3, -1)).T, dtype=float)

    eph = lunar_ephemeris()
    et_all = np.asarray(tdb_seconds(t), dtype=float)
    time_shape = et_all.shape
    et = np.ascontiguousarray(et_all.ravel())
    eph.check_coverage(et)

    if frame not in ("ME", "PA"):
        raise InputError(
            f"unknown lunar frame {frame!r}", field="frame", hint="choose 'ME' or 'PA'"
        )
    centre_r, centre_v = eph.state("moon", et)
    rotation = np.ascontiguousarray(eph.rotation(et, "ME"))
    target_r, target_v, tau = _target_state_for_light_time(eph, body, et, centre_r, light_time)
    out = np.empty((3, site_km.shape[0], et.shape[0]))
    _site_vectors(
        site_km, rotation, centre_r, centre_v, target_r, target_v, tau, light_time, aberration, out
    )
    if frame == "PA":  # sites are fixed in ME; only the output axes change
        out = np.einsum("ji,jmn->imn", eph.me_from_pa, out)
    return out.reshape((3,) + site_shape + time_shape)


def horizontal(
    t: Time,
    body: str,
    latitude_deg,
    longitude_deg,
    height_m=0.0,
    *,
    correction: str = "apparent",
) -> Horizontal:
    """Azimuth (clockwise from north), elevation and distance of ``body`` from lunar sites.

    The local frame is the sphere's: zenith along the radius, north towards the north pole along
    the meridian. At a pole every direction is north or south; there "north" is taken along the
    meridian of the given longitude (the limit of approaching the pole along it).

    >>> from moonbase.time import parse_utc
    >>> sun = horizontal(parse_utc("2030-01-01"), "sun", -89.45, 222.69)
    >>> bool(-3 < sun.elevation_deg < 3)
    True
    """
    lat, lon, _ = check_site(latitude_deg, longitude_deg)
    vec = topocentric_vectors(t, body, lat, lon, height_m, correction=correction)
    extra = (None,) * np.ndim(tdb_seconds(t))
    basis = np.moveaxis(enu_basis(lat, lon), (-2, -1), (0, 1))[(..., *extra)]
    east, north, up = (np.sum(basis[i] * vec, axis=0) for i in range(3))
    x, y, z = vec
    distance = np.sqrt(x * x + y * y + z * z)
    elevation = np.degrees(np.arcsin(np.clip(up / distance, -1.0, 1.0)))
    azimuth = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
    return Horizontal(azimuth, elevation, distance)
