"""Delta-v estimates for reaching and leaving the orbit node (impulsive, patched conics).

* ``tli_delta_v_km_s``: trans-lunar injection from a circular LEO onto a Hohmann-like ellipse
  whose apogee reaches the Moon's mean distance.
* ``arrival_v_inf_km_s``: hyperbolic excess speed at the Moon for that ellipse (Moon's circular
  speed minus the ellipse's apogee speed, coplanar).
* ``insertion_delta_v_km_s``: capture from that hyperbola at periapsis radius ``r_km`` into an
  orbit whose periapsis speed is ``v_target_km_s`` (tangential burn).
* ``llo_transfer_delta_v_km_s``: node periapsis <-> circular LLO via a coplanar ellipse (two
  tangential burns), no plane change.

These are lower bounds for planning; published mission values for comparison:
Apollo 11 (mission report, NASA MSC-00171, 1969): TLI 3.18 km/s from a 190 km parking orbit,
lunar orbit insertion 0.889 + 0.049 km/s into 100 x 122 km. Gateway NRHO studies (Whitley &
Martinez 2016, IEEE Aerospace Conf., NTRS 20150019648): NRHO <-> 100 km LLO about 0.73-0.9 km/s
one way depending on plane; NRHO insertion from a direct TLI about 0.4 km/s (less with a
powered lunar flyby).
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import MOON_RADIUS_KM
from moonbase.errors import InputError
from moonbase.orbit.cr3bp import GM_EARTH_KM3_S2, GM_MOON_KM3_S2

__all__ = [
    "arrival_v_inf_km_s",
    "insertion_delta_v_km_s",
    "llo_transfer_delta_v_km_s",
    "node_delta_v_budget",
    "tli_delta_v_km_s",
]

EARTH_RADIUS_KM = 6378.137
MOON_DISTANCE_KM = 384_400.0


def _positive(value, name):
    if not np.all(np.asarray(value) > 0):
        raise InputError("must be positive", field=name)


def tli_delta_v_km_s(leo_altitude_km: float = 185.0) -> float:
    """Delta-v from a circular LEO to an ellipse with apogee at the Moon's distance."""
    _positive(leo_altitude_km, "leo_altitude_km")
    r = EARTH_RADIUS_KM + leo_altitude_km
    a = 0.5 * (r + MOON_DISTANCE_KM)
    return float(np.sqrt(GM_EARTH_KM3_S2 * (2 / r - 1 / a)) - np.sqrt(GM_EARTH_KM3_S2 / r))


def arrival_v_inf_km_s(leo_altitude_km: float = 185.0) -> float:
    """Hyperbolic excess speed relative to the Moon at the end of the Hohmann-like transfer."""
    r = EARTH_RADIUS_KM + leo_altitude_km
    a = 0.5 * (r + MOON_DISTANCE_KM)
    v_apogee = np.sqrt(GM_EARTH_KM3_S2 * (2 / MOON_DISTANCE_KM - 1 / a))
    v_moon = np.sqrt((GM_EARTH_KM3_S2 + GM_MOON_KM3_S2) / MOON_DISTANCE_KM)
    return float(v_moon - v_apogee)


def insertion_delta_v_km_s(r_km: float, v_target_km_s: float, v_inf_km_s: float) -> float:
    """Tangential capture burn at radius ``r_km`` from a hyperbola with ``v_inf_km_s``."""
    _positive(r_km, "r_km")
    if r_km <= MOON_RADIUS_KM:
        raise InputError("insertion radius is below the lunar surface", field="r_km")
    v_hyp = np.sqrt(v_inf_km_s**2 + 2 * GM_MOON_KM3_S2 / r_km)
    return float(abs(v_hyp - v_target_km_s))


def llo_transfer_delta_v_km_s(
    r_node_km: float, v_node_km_s: float, llo_altitude_km: float = 100.0
) -> float:
    """Node periapsis (radius, speed) -> circular LLO: burn down to an ellipse reaching the LLO
    radius, then circularise. The same cost applies in reverse."""
    _positive(llo_altitude_km, "llo_altitude_km")
    r_llo = MOON_RADIUS_KM + llo_altitude_km
    if r_node_km < r_llo:
        raise InputError("the node's periapsis lies below the LLO", field="llo_altitude_km")
    a = 0.5 * (r_node_km + r_llo)
    v_top = np.sqrt(GM_MOON_KM3_S2 * (2 / r_node_km - 1 / a))
    v_bottom = np.sqrt(GM_MOON_KM3_S2 * (2 / r_llo - 1 / a))
    v_circ = np.sqrt(GM_MOON_KM3_S2 / r_llo)
    return float(abs(v_node_km_s - v_top) + abs(v_bottom - v_circ))


def node_delta_v_budget(
    periapsis_km: float,
    periapsis_speed_km_s: float,
    *,
    leo_altitude_km: float = 185.0,
    llo_altitude_km: float = 100.0,
) -> dict[str, float]:
    """TLI, node insertion and node <-> LLO costs (km/s) for a node with the given periapsis
    radius and Moon-relative periapsis speed."""
    v_inf = arrival_v_inf_km_s(leo_altitude_km)
    out = {
        "tli_km_s": tli_delta_v_km_s(leo_altitude_km),
        "v_inf_km_s": v_inf,
        "insertion_km_s": insertion_delta_v_km_s(periapsis_km, periapsis_speed_km_s, v_inf),
    }
    r_llo = MOON_RADIUS_KM + llo_altitude_km
    if periapsis_km > r_llo + 1.0:
        out["to_llo_km_s"] = llo_transfer_delta_v_km_s(
            periapsis_km, periapsis_speed_km_s, llo_altitude_km
        )
    else:
        out["to_llo_km_s"] = 0.0
    return out
