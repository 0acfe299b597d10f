"""Circular restricted three-body problem (CR3BP) of the Earth-Moon system.

Rotating barycentric frame: Earth at ``x = -mu``, Moon at ``x = 1 - mu``, ``z`` along the orbital
angular momentum; length unit the Earth-Moon distance, time unit ``1 / mean motion`` (so the
primaries complete one revolution in ``2 pi``). States are ``(6,)`` or ``(6, N)``:
``x, y, z, vx, vy, vz`` in these nondimensional units.

Equations of motion (Szebehely 1967, ch. 1)::

    x'' - 2 y' = dU/dx,  y'' + 2 x' = dU/dy,  z'' = dU/dz,
    U = (x^2 + y^2) / 2 + (1 - mu) / r1 + mu / r2

and the Jacobi constant ``C = 2 U - v^2`` is the integral of motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from moonbase.errors import InputError

__all__ = [
    "EARTH_MOON",
    "CR3BPSystem",
    "PropagationResult",
    "cr3bp_acceleration",
    "jacobi_constant",
    "lagrange_points",
    "propagate_cr3bp",
]

#: GM of the Earth and the Moon in DE421 (km^3/s^2; JPL IOM 343R-08-003, Folkner et al. 2008).
GM_EARTH_KM3_S2 = 398_600.436_233
GM_MOON_KM3_S2 = 4_902.800_076
#: Mass parameter used by JPL's three-body periodic-orbit catalogue for the Earth-Moon system.
MU_EARTH_MOON = 1.215_058_560_962_404e-2
#: Mean Earth-Moon distance, km (the usual CR3BP length unit).
EARTH_MOON_DISTANCE_KM = 384_400.0


@dataclass(frozen=True)
class CR3BPSystem:
    """Mass parameter and the length/time units that make the CR3BP dimensional."""

    mu: float
    length_km: float
    time_s: float

    @property
    def velocity_km_s(self) -> float:
        return self.length_km / self.time_s

    @property
    def time_days(self) -> float:
        return self.time_s / 86_400.0

    @property
    def moon_x(self) -> float:
        """Position of the Moon on the rotating x axis."""
        return 1.0 - self.mu


def _earth_moon() -> CR3BPSystem:
    gm = GM_EARTH_KM3_S2 + GM_MOON_KM3_S2
    return CR3BPSystem(
        MU_EARTH_MOON, EARTH_MOON_DISTANCE_KM, float(np.sqrt(EARTH_MOON_DISTANCE_KM**3 / gm))
    )


#: The Earth-Moon CR3BP: JPL catalogue mass ratio, 384,400 km, time unit from the DE421 GMs
#: (375,190 s = 4.3425 days).
EARTH_MOON = _earth_moon()


@njit(cache=True)
def _rhs(t, s, mu):  # pragma: no cover - compiled
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    d1 = np.sqrt((x + mu) ** 2 + y * y + z * z)
    d2 = np.sqrt((x - 1.0 + mu) ** 2 + y * y + z * z)
    a = (1.0 - mu) / d1**3
    b = mu / d2**3
    out = np.empty(6)
    out[0] = vx
    out[1] = vy
    out[2] = vz
    out[3] = 2.0 * vy + x - a * (x + mu) - b * (x - 1.0 + mu)
    out[4] = -2.0 * vx + y - a * y - b * y
    out[5] = -a * z - b * z
    return out


@njit(cache=True)
def _rhs_stm(t, s, mu):  # pragma: no cover - compiled
    """State plus the 6x6 state transition matrix (row-major in s[6:42]): dPhi/dt = A Phi."""
    x, y, z = s[0], s[1], s[2]
    out = np.empty(42)
    out[:6] = _rhs(t, s[:6], mu)
    d1 = np.sqrt((x + mu) ** 2 + y * y + z * z)
    d2 = np.sqrt((x - 1.0 + mu) ** 2 + y * y + z * z)
    a3 = (1.0 - mu) / d1**3
    b3 = mu / d2**3
    a5 = 3.0 * (1.0 - mu) / d1**5
    b5 = 3.0 * mu / d2**5
    p1 = np.array([x + mu, y, z])
    p2 = np.array([x - 1.0 + mu, y, z])
    g = np.zeros((3, 3))  # Hessian of U
    for i in range(3):
        for j in range(3):
            g[i, j] = a5 * p1[i] * p1[j] + b5 * p2[i] * p2[j]
        g[i, i] -= a3 + b3
    g[0, 0] += 1.0
    g[1, 1] += 1.0
    a = np.zeros((6, 6))
    a[0, 3] = 1.0
    a[1, 4] = 1.0
    a[2, 5] = 1.0
    a[3:, :3] = g
    a[3, 4] = 2.0
    a[4, 3] = -2.0
    phi = s[6:].reshape(6, 6)
    out[6:] = (a @ phi).ravel()
    return out


def cr3bp_acceleration(state, mu: float = MU_EARTH_MOON) -> np.ndarray:
    """Time derivative of a state ``(6,)`` (the CR3BP vector field)."""
    return _rhs(0.0, np.asarray(state, dtype=float), float(mu))


def jacobi_constant(state, mu: float = MU_EARTH_MOON) -> np.ndarray | float:
    """Jacobi constant ``C = x^2 + y^2 + 2(1-mu)/r1 + 2 mu/r2 - v^2`` of states ``(6,)+S``."""
    s = np.asarray(state, dtype=float)
    x, y, z = s[0], s[1], s[2]
    d1 = np.sqrt((x + mu) ** 2 + y**2 + z**2)
    d2 = np.sqrt((x - 1.0 + mu) ** 2 + y**2 + z**2)
    v2 = s[3] ** 2 + s[4] ** 2 + s[5] ** 2
    return x**2 + y**2 + 2.0 * (1.0 - mu) / d1 + 2.0 * mu / d2 - v2


def lagrange_points(mu: float = MU_EARTH_MOON) -> dict[str, np.ndarray]:
    """Positions ``(3,)`` of L1..L5 in the rotating frame (roots of dU/dx on the x axis)."""
    if not 0.0 < mu <= 0.5:
        raise InputError(f"mass parameter {mu!r} must lie in (0, 0.5]", field="mu")

    def dudx(x):
        d1, d2 = x + mu, x - 1.0 + mu
        return x - (1.0 - mu) * d1 / abs(d1) ** 3 - mu * d2 / abs(d2) ** 3

    eps = 1e-12
    x1 = brentq(dudx, -mu + eps, 1.0 - mu - eps, xtol=1e-15, rtol=1e-15)
    x2 = brentq(dudx, 1.0 - mu + eps, 2.0, xtol=1e-15, rtol=1e-15)
    x3 = brentq(dudx, -2.0, -mu - eps, xtol=1e-15, rtol=1e-15)
    h = np.sqrt(3.0) / 2.0
    return {
        "L1": np.array([x1, 0.0, 0.0]),
        "L2": np.array([x2, 0.0, 0.0]),
        "L3": np.array([x3, 0.0, 0.0]),
        "L4": np.array([0.5 - mu, h, 0.0]),
        "L5": np.array([0.5 - mu, -h, 0.0]),
    }


@dataclass(frozen=True)
class PropagationResult:
    """Times ``(N,)``, states ``(6, N)``, final STM ``(6, 6)`` (or None) and the dense solution."""

    t: np.ndarray
    states: np.ndarray
    stm: np.ndarray | None
    solution: object
    events: list


def _collision_escape_events(mu: float, min_moon_radius: float, max_radius: float):
    def hit_moon(t, s, *_):
        return np.sqrt((s[0] - 1.0 + mu) ** 2 + s[1] ** 2 + s[2] ** 2) - min_moon_radius

    def hit_earth(t, s, *_):
        return np.sqrt((s[0] + mu) ** 2 + s[1] ** 2 + s[2] ** 2) - 6378.1 / 384_400.0

    def escape(t, s, *_):
        return max_radius - np.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)

    for event in (hit_moon, hit_earth, escape):
        event.terminal = True
        event.direction = -1
    return [hit_moon, hit_earth, escape]


def propagate_cr3bp(
    state,
    duration: float,
    *,
    mu: float = MU_EARTH_MOON,
    stm: bool = False,
    t_eval=None,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    dense: bool = False,
    events=None,
    check_escape: bool = True,
    moon_radius: float = 1737.4 / 384_400.0,
) -> PropagationResult:
    """Propagate a CR3BP state for ``duration`` time units with scipy's DOP853.

    With ``stm=True`` the variational equations are integrated too and ``stm`` holds
    ``d state(t) / d state(0)``. With ``check_escape`` the propagation raises
    :class:`InputError` if the orbit hits the Moon or the Earth or leaves 3 Earth-Moon distances
    (an orbit that escapes is not an orbit node).
    """
    s0 = np.asarray(state, dtype=float)
    if s0.shape != (6,) or not np.all(np.isfinite(s0)):
        raise InputError("a CR3BP state needs 6 finite numbers x, y, z, vx, vy, vz", field="state")
    y0 = np.concatenate([s0, np.eye(6).ravel()]) if stm else s0
    fun = _rhs_stm if stm else _rhs
    all_events = list(events or [])
    guards = _collision_escape_events(mu, moon_radius, 3.0) if check_escape else []
    sol = solve_ivp(
        fun,
        (0.0, float(duration)),
        y0,
        method="DOP853",
        rtol=rtol,
        atol=atol,
        args=(mu,),
        t_eval=t_eval,
        dense_output=dense,
        events=all_events + guards or None,
    )
    if not sol.success:
        raise InputError(f"CR3BP propagation failed: {sol.message}", field="state")
    n_user = len(all_events)
    if guards:
        for name, hits in zip(
            ("hits the Moon", "hits the Earth", "escapes"), sol.t_events[n_user:], strict=True
        ):
            if len(hits):
                raise InputError(
                    f"the orbit {name} after {hits[0]:.4g} time units "
                    f"({hits[0] * EARTH_MOON.time_days:.3g} days)",
                    field="state",
                    hint="this initial state is not a bound orbit; check the family parameters",
                )
    final_stm = sol.y[6:, -1].reshape(6, 6) if stm else None
    return PropagationResult(
        sol.t, sol.y[:6], final_stm, sol.sol, list(sol.t_events[:n_user]) if events else []
    )
