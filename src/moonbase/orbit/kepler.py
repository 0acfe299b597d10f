"""Two-body lunar orbits: low lunar orbits (LLO) and elliptical lunar frozen orbits (ELFO).

Elements are referred to the lunar equator (MOON_ME frame held fixed at the epoch): semi-major
axis ``a_km``, eccentricity, inclination, right ascension of the ascending node (here the
longitude of the node in MOON_ME at epoch), argument of periapsis and mean anomaly, in degrees.
Propagation is Keplerian (vectorised Kepler-equation solve); use
:func:`moonbase.orbit.ephemeris_model.propagate_ephemeris` for Earth and Sun perturbations.
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import MOON_RADIUS_KM
from moonbase.errors import InputError
from moonbase.orbit.cr3bp import GM_EARTH_KM3_S2, GM_MOON_KM3_S2

__all__ = [
    "MOON_J2",
    "elements_to_state",
    "frozen_inclination_deg",
    "kepler_period_s",
    "kepler_states",
    "solve_kepler",
]

#: Unnormalised lunar J2 (GRAIL GL0660B, Konopliv et al. 2013: C20 = -9.0880e-5 normalised).
MOON_J2 = 2.0323e-4
#: Mean Earth-Moon distance, km, and the Earth's GM, for the third-body quadrupole.
_A_EARTH_KM = 384_400.0


def kepler_period_s(a_km, gm_km3_s2: float = GM_MOON_KM3_S2):
    """Two-body period ``2 pi sqrt(a^3 / GM)`` in seconds."""
    a = np.asarray(a_km, dtype=float)
    if np.any(a <= 0):
        raise InputError("semi-major axis must be positive", field="a_km")
    return 2.0 * np.pi * np.sqrt(a**3 / gm_km3_s2)


def solve_kepler(mean_anomaly_rad, eccentricity: float, tol: float = 1e-14) -> np.ndarray:
    """Eccentric anomaly from mean anomaly (Newton's method, vectorised; e < 1)."""
    m = np.mod(np.asarray(mean_anomaly_rad, dtype=float), 2.0 * np.pi)
    e = float(eccentricity)
    big_e = m + e * np.sin(m) if e < 0.8 else np.full_like(m, np.pi)
    for _ in range(50):
        f = big_e - e * np.sin(big_e) - m
        step = f / (1.0 - e * np.cos(big_e))
        big_e = big_e - step
        if np.max(np.abs(step), initial=0.0) < tol:
            break
    return big_e


def _check_elements(a_km, eccentricity, inclination_deg):
    if not 0.0 <= eccentricity < 1.0:
        raise InputError(
            f"eccentricity {eccentricity!r} must be in [0, 1) for a bound orbit",
            field="eccentricity",
        )
    if not 0.0 <= inclination_deg <= 180.0:
        raise InputError("inclination must be within 0 to 180 degrees", field="inclination_deg")
    periapsis = a_km * (1.0 - eccentricity)
    if periapsis <= MOON_RADIUS_KM:
        raise InputError(
            f"periapsis radius {periapsis:.1f} km is below the lunar surface ({MOON_RADIUS_KM} km)",
            field="periapsis_altitude_km",
            hint="raise the periapsis altitude above 0 km (15 km is about the lowest safe value)",
        )
    apoapsis = a_km * (1.0 + eccentricity)
    if apoapsis > 60_000.0:
        raise InputError(
            f"apoapsis radius {apoapsis:.0f} km is outside the Moon's sphere of influence "
            "(about 60,000 km); the Earth's pull makes this a three-body orbit",
            field="apoapsis_altitude_km",
            hint="use family 'nrho' or 'halo' for orbits that far out",
        )


def elements_to_state(
    a_km,
    eccentricity,
    inclination_deg,
    raan_deg,
    argp_deg,
    mean_anomaly_deg,
    gm_km3_s2: float = GM_MOON_KM3_S2,
) -> np.ndarray:
    """Position and velocity ``(6,)+shape(mean_anomaly)`` km, km/s in the lunar-equator frame."""
    _check_elements(float(a_km), float(eccentricity), float(inclination_deg))
    e = float(eccentricity)
    big_e = solve_kepler(np.radians(mean_anomaly_deg), e)
    cos_e, sin_e = np.cos(big_e), np.sin(big_e)
    b = a_km * np.sqrt(1.0 - e * e)
    r = a_km * (1.0 - e * cos_e)
    xp = a_km * (cos_e - e)
    yp = b * sin_e
    n = np.sqrt(gm_km3_s2 / a_km**3)
    vxp = -a_km * n * sin_e * a_km / r
    vyp = b * n * cos_e * a_km / r
    i, raan, w = np.radians(inclination_deg), np.radians(raan_deg), np.radians(argp_deg)
    cw, sw, co, so, ci, si = np.cos(w), np.sin(w), np.cos(raan), np.sin(raan), np.cos(i), np.sin(i)
    p = np.array([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si])
    q = np.array([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si])
    pos = np.multiply.outer(p, xp) + np.multiply.outer(q, yp)
    vel = np.multiply.outer(p, vxp) + np.multiply.outer(q, vyp)
    return np.concatenate([pos, vel])


def kepler_states(
    a_km, eccentricity, inclination_deg, raan_deg, argp_deg, mean_anomaly0_deg, dt_s
) -> np.ndarray:
    """States ``(6, N)`` at ``dt_s`` seconds after the epoch of ``mean_anomaly0_deg``."""
    n_deg_s = 360.0 / kepler_period_s(a_km)
    m = mean_anomaly0_deg + n_deg_s * np.asarray(dt_s, dtype=float)
    return elements_to_state(a_km, eccentricity, inclination_deg, raan_deg, argp_deg, m)


def frozen_inclination_deg(a_km: float, eccentricity: float, *, j2: float = MOON_J2) -> float:
    """Inclination at which an orbit with ``argp = 90 or 270 deg`` has a frozen periapsis.

    Averaged secular rate of the argument of periapsis, from the Earth's third-body quadrupole
    (Kozai-Lidov; the Earth taken in the lunar equator plane, which is within 6.7 degrees of the
    Moon's orbit) plus lunar J2::

        (3/4) (n3^2/n) / sqrt(1-e^2) [5 cos^2 i - 3 (1 - e^2)]
      + (3/4) n J2 (R/a)^2 (5 cos^2 i - 1) / (1 - e^2)^2 = 0

    With ``j2=0`` this is the Kozai-Lidov relation ``cos^2 i = 3 (1 - e^2) / 5`` (39.2 deg for
    e = 0). Full-force studies (Ely 2005) put the frozen ELFOs near 56-63 deg; this averaged,
    coplanar model lands a few degrees lower: treat it as a first guess.
    """
    e = float(eccentricity)
    _check_elements(float(a_km), e, 90.0)
    n = np.sqrt(GM_MOON_KM3_S2 / a_km**3)
    n3_sq = GM_EARTH_KM3_S2 / _A_EARTH_KM**3
    k3 = n3_sq / n / np.sqrt(1.0 - e * e)
    k2 = n * j2 * (MOON_RADIUS_KM / a_km) ** 2 / (1.0 - e * e) ** 2
    cos2 = (3.0 * (1.0 - e * e) * k3 + k2) / (5.0 * (k3 + k2))
    return float(np.degrees(np.arccos(np.sqrt(cos2))))
