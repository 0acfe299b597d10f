"""Periodic orbits of the CR3BP: differential correction and continuation of halo / NRHO families.

Halo orbits are symmetric about the rotating x-z plane: a member starts perpendicular to it,
``(x0, 0, z0, 0, vy0, 0)``, and is periodic when the next plane crossing is perpendicular again
(``vx = vz = 0``) at half the period. Differential correction is Newton's method on those two
conditions, with the state transition matrix giving the Jacobian and the crossing time moving
with the initial state (Howell 1984, "Three-dimensional, periodic, 'halo' orbits", Celest. Mech.
32). One of ``x0``, ``z0`` or the period is held fixed; continuation walks the family by
pseudo-arclength steps along the null direction of the 2 x 3 Jacobian, so folds are passed.

Near-rectilinear halo orbits (NRHOs) are the members of the L2 (or L1) halo family that pass
close to the Moon; the "p:q synodic-resonant" NRHO completes ``p`` revolutions in ``q`` synodic
months (the Gateway orbit is the 9:2 L2 southern NRHO, period about 6.56 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from moonbase.constants import MOON_RADIUS_KM, SYNODIC_MONTH_DAYS
from moonbase.errors import InputError
from moonbase.orbit.cr3bp import (
    EARTH_MOON,
    CR3BPSystem,
    cr3bp_acceleration,
    jacobi_constant,
    propagate_cr3bp,
)

__all__ = [
    "NRHO_SEED_L2_SOUTH",
    "PeriodicOrbit",
    "continue_halo_family",
    "correct_halo",
    "halo_orbit",
    "nrho_orbit",
    "resonant_period",
]

#: A published L2 southern NRHO (JPL Solar System Dynamics three-body periodic-orbit catalogue,
#: Earth-Moon, L2 halo, southern branch; mu = 1.215058560962404e-2). State at apolune (x-z plane
#: crossing), and its period in the catalogue's time unit. Used as the seed of the family.
NRHO_SEED_L2_SOUTH = (
    np.array([1.0213448959167291, 0.0, -0.18162633785360355, 0.0, -0.10177771593237860, 0.0]),
    1.5021912429136250,
)


def resonant_period(revolutions: int, synodic_months: int, system: CR3BPSystem = EARTH_MOON):
    """Nondimensional period of an orbit making ``revolutions`` per ``synodic_months``."""
    if revolutions < 1 or synodic_months < 1:
        raise InputError(
            f"resonance {revolutions}:{synodic_months} needs two positive integers",
            field="resonance",
            hint="the Gateway NRHO is 9:2 (nine revolutions in two synodic months)",
        )
    return synodic_months * SYNODIC_MONTH_DAYS / revolutions / system.time_days


@dataclass(frozen=True)
class PeriodicOrbit:
    """A periodic CR3BP orbit: initial state, period and what follows from them.

    ``state0`` is on the x-z plane; ``period`` and ``jacobi`` are nondimensional; the stability
    index is ``(|lambda_max| + 1/|lambda_max|) / 2`` of the monodromy matrix (1 = neutral).
    """

    state0: np.ndarray
    period: float
    mu: float
    family: str = "halo"
    system: CR3BPSystem = EARTH_MOON
    monodromy: np.ndarray | None = field(default=None, repr=False)
    closure_error: float = 0.0

    @property
    def jacobi(self) -> float:
        return float(jacobi_constant(self.state0, self.mu))

    @property
    def period_days(self) -> float:
        return self.period * self.system.time_days

    @property
    def stability_index(self) -> float:
        if self.monodromy is None:
            return float("nan")
        lam = np.max(np.abs(np.linalg.eigvals(self.monodromy)))
        return float(0.5 * (lam + 1.0 / lam))

    def states(self, t) -> np.ndarray:
        """Rotating-frame states ``(6,)+shape(t)`` at nondimensional times ``t`` (periodic)."""
        t = np.asarray(t, dtype=float)
        sol = _dense_period(self)
        phase = np.mod(t, self.period)
        return sol(phase.ravel()).reshape((6,) + t.shape)

    def moon_distance_km(self, samples: int = 4001) -> tuple[float, float]:
        """Smallest and largest distance from the Moon's centre over one period, km."""
        s = self.states(np.linspace(0.0, self.period, samples))
        r = np.sqrt((s[0] - 1.0 + self.mu) ** 2 + s[1] ** 2 + s[2] ** 2) * self.system.length_km
        return float(r.min()), float(r.max())


def _dense_period(orbit: PeriodicOrbit):
    """Dense output over one period, computed once per orbit and kept on the object."""
    cached = orbit.__dict__.get("_dense")
    if cached is None:
        result = propagate_cr3bp(
            orbit.state0, orbit.period, mu=orbit.mu, dense=True, check_escape=False
        )
        cached = result.solution
        object.__setattr__(orbit, "_dense", cached)
    return cached


def _y_crossing(t, s, *_):
    return s[1]


_y_crossing.direction = 0
_y_crossing.terminal = False


def _half_period_map(q: np.ndarray, half_guess: float, mu: float):
    """Propagate ``(x0, 0, z0, 0, vy0, 0)`` to its next x-z plane crossing near ``half_guess``.

    Returns (final state, crossing time, STM).
    """
    state = np.array([q[0], 0.0, q[1], 0.0, q[2], 0.0])
    # Integrate to 1.5 x the guess and take the crossing closest to the guess (skipping t ~ 0).
    result = propagate_cr3bp(
        state, 1.5 * half_guess, mu=mu, stm=True, events=[_y_crossing], dense=True
    )
    crossings = result.events[0]
    crossings = crossings[crossings > 0.25 * half_guess]
    if crossings.size == 0:
        raise InputError(
            "the orbit does not return to the x-z plane; not a halo-like orbit", field="state"
        )
    t_half = crossings[np.argmin(np.abs(crossings - half_guess))]
    second = propagate_cr3bp(state, t_half, mu=mu, stm=True, check_escape=False)
    return second.states[:, -1], t_half, second.stm


def correct_halo(
    state0,
    period_guess: float,
    *,
    fix: str = "z",
    target_period: float | None = None,
    mu: float = EARTH_MOON.mu,
    tol: float = 1e-11,
    max_iter: int = 30,
    family: str = "halo",
    system: CR3BPSystem | None = None,
) -> PeriodicOrbit:
    """Differentially correct an x-z-plane state to a symmetric periodic orbit.

    ``fix`` is the quantity held constant: ``"x"`` (x0), ``"z"`` (z0) or ``"period"`` (then
    ``target_period`` is required). Converges when ``|vx|, |vz|`` at the half-period crossing fall
    below ``tol``; raises :class:`InputError` when Newton's method fails. ``system`` (its ``mu``
    replaces ``mu``) gives the orbit its length and time units; without it the Earth-Moon units
    with mass parameter ``mu``.
    """
    if system is None:
        system = EARTH_MOON if mu == EARTH_MOON.mu else replace(EARTH_MOON, mu=float(mu))
    mu = system.mu
    s = np.asarray(state0, dtype=float)
    q = np.array([s[0], s[2], s[4]])
    if fix == "period" and target_period is None:
        raise InputError("fix='period' needs target_period", field="target_period")
    if fix not in ("x", "z", "period"):
        raise InputError(f"unknown fix {fix!r}", field="fix", hint="choose 'x', 'z' or 'period'")
    half = 0.5 * (target_period if fix == "period" else period_guess)
    for _ in range(max_iter):
        final, t_half, phi = _half_period_map(q, half, mu)
        accel = cr3bp_acceleration(final, mu)
        # d(final)/dq at the crossing, with the crossing time adjusted to keep y = 0.
        cols = [0, 2, 4]
        dtdq = -phi[1, cols] / final[4]
        jac = phi[np.ix_([3, 5], cols)] + np.outer(accel[[3, 5]], dtdq)
        residual = np.array([final[3], final[5]])
        if fix == "period":
            jac = np.vstack([jac, dtdq])
            residual = np.append(residual, t_half - 0.5 * target_period)
            dq = np.linalg.solve(jac, -residual)
        else:
            free = [1, 2] if fix == "x" else [0, 2]
            dq = np.zeros(3)
            dq[free] = np.linalg.solve(jac[:, free], -residual)
        half = t_half
        if np.max(np.abs(residual)) < tol:
            break
        # Damp very large steps (keeps Newton inside the basin near the Moon).
        scale = min(1.0, 0.02 / max(np.max(np.abs(dq)), 1e-300))
        q = q + scale * dq
    else:
        raise InputError(
            f"differential correction did not converge in {max_iter} iterations "
            f"(residual {np.max(np.abs(residual)):.2e})",
            field="state",
            hint="start closer to the family or take smaller continuation steps",
        )
    x0 = np.array([q[0], 0.0, q[1], 0.0, q[2], 0.0])
    full = propagate_cr3bp(x0, 2.0 * t_half, mu=mu, stm=True, check_escape=False)
    closure = float(np.max(np.abs(full.states[:, -1] - x0)))
    return PeriodicOrbit(x0, 2.0 * t_half, mu, family, system, full.stm, closure)


def _family_tangent(orbit: PeriodicOrbit, previous: np.ndarray | None) -> np.ndarray:
    q = orbit.state0[[0, 2, 4]]
    final, _, phi = _half_period_map(q, 0.5 * orbit.period, orbit.mu)
    accel = cr3bp_acceleration(final, orbit.mu)
    cols = [0, 2, 4]
    dtdq = -phi[1, cols] / final[4]
    jac = phi[np.ix_([3, 5], cols)] + np.outer(accel[[3, 5]], dtdq)
    tangent = np.linalg.svd(jac)[2][-1]
    if previous is not None and tangent @ previous < 0:
        tangent = -tangent
    return tangent


def continue_halo_family(
    seed: PeriodicOrbit,
    *,
    step: float = 0.004,
    max_members: int = 200,
    direction: float = 1.0,
    stop=None,
) -> list[PeriodicOrbit]:
    """Walk a halo family from ``seed`` by pseudo-arclength steps in ``(x0, z0, vy0)``.

    ``direction`` (+1/-1) picks the way along the family (+1: towards larger x0 first);
    ``stop(orbit) -> bool`` ends the walk after the member for which it is true.
    """
    members = [seed]
    tangent = _family_tangent(seed, None)
    if np.sign(tangent[0]) != np.sign(direction):
        tangent = -tangent
    while len(members) < max_members:
        current = members[-1]
        q = current.state0[[0, 2, 4]]
        h = step
        for _ in range(6):
            predicted = q + h * tangent
            try:
                member = _correct_arclength(predicted, tangent, q, h, current)
                break
            except InputError:
                h *= 0.5
        else:
            break
        members.append(member)
        tangent = _family_tangent(member, tangent)
        if stop is not None and stop(member):
            break
    return members


def _correct_arclength(predicted, tangent, q_prev, h, current: PeriodicOrbit) -> PeriodicOrbit:
    mu = current.mu
    q = predicted.copy()
    half = 0.5 * current.period
    for _ in range(25):
        final, t_half, phi = _half_period_map(q, half, mu)
        accel = cr3bp_acceleration(final, mu)
        cols = [0, 2, 4]
        dtdq = -phi[1, cols] / final[4]
        jac = np.vstack([phi[np.ix_([3, 5], cols)] + np.outer(accel[[3, 5]], dtdq), tangent])
        residual = np.array([final[3], final[5], (q - q_prev) @ tangent - h])
        half = t_half
        if np.max(np.abs(residual)) < 1e-11:
            x0 = np.array([q[0], 0.0, q[1], 0.0, q[2], 0.0])
            full = propagate_cr3bp(x0, 2.0 * t_half, mu=mu, stm=True, check_escape=False)
            closure = float(np.max(np.abs(full.states[:, -1] - x0)))
            return PeriodicOrbit(
                x0, 2 * t_half, mu, current.family, current.system, full.stm, closure
            )
        q = q + np.linalg.solve(jac, -residual)
    raise InputError("continuation step did not converge", field="step")


def nrho_orbit(
    revolutions: int = 9,
    synodic_months: int = 2,
    *,
    branch: str = "south",
    system: CR3BPSystem = EARTH_MOON,
) -> PeriodicOrbit:
    """The L2 NRHO with a ``revolutions:synodic_months`` synodic resonance (default 9:2).

    Starts from the catalogue NRHO (:data:`NRHO_SEED_L2_SOUTH`) and walks the L2 halo family by
    continuation in the period until it meets the resonant period, then corrects with the period
    fixed. The northern branch is the mirror image (z -> -z).
    """
    if branch not in ("south", "north"):
        raise InputError(f"unknown branch {branch!r}", field="branch", hint="'south' or 'north'")
    target = resonant_period(revolutions, synodic_months, system)
    seed_state, seed_period = NRHO_SEED_L2_SOUTH
    seed = correct_halo(seed_state, seed_period, fix="x", family="nrho", system=system)
    # NRHO part of the L2 family: periods from about 1.3 (perilune near the surface) to about
    # 2.0 (the family's period maximum, beyond which perilune grows and the orbit leaves the
    # near-rectilinear regime). Resonances outside that range have no NRHO.
    if not 1.32 <= target <= 1.85:
        raise InputError(
            f"a {revolutions}:{synodic_months} resonance needs a period of "
            f"{target * system.time_days:.2f} days, outside the L2 NRHO range "
            f"({1.32 * system.time_days:.1f} to {1.85 * system.time_days:.1f} days)",
            field="resonance",
            hint="valid examples: 9:2 (6.56 d), 4:1 (7.38 d), 13:3 (6.81 d)",
        )
    current = seed
    # Step along the family (period grows with x0 in this region) until bracketing the target.
    direction = 1.0 if target > seed.period else -1.0
    for _ in range(200):
        if abs(current.period - target) < 0.02:
            break
        members = continue_halo_family(current, step=0.002, max_members=2, direction=direction)
        if len(members) < 2:
            raise InputError("continuation towards the resonant NRHO stalled", field="resonance")
        nxt = members[-1]
        if (nxt.period - target) * (current.period - target) < 0:
            current = nxt
            break
        current = nxt
    orbit = correct_halo(
        current.state0,
        current.period,
        fix="period",
        target_period=target,
        family="nrho",
        system=system,
    )
    r_min, _ = orbit.moon_distance_km()
    if r_min < MOON_RADIUS_KM:
        raise InputError(
            f"the {revolutions}:{synodic_months} NRHO passes {r_min:.0f} km from the Moon's "
            "centre, below the surface",
            field="resonance",
        )
    if branch == "north":
        mirrored = orbit.state0 * np.array([1, 1, -1, 1, 1, -1])
        orbit = PeriodicOrbit(
            mirrored,
            orbit.period,
            orbit.mu,
            "nrho",
            system,
            np.diag([1, 1, -1, 1, 1, -1]) @ orbit.monodromy @ np.diag([1, 1, -1, 1, 1, -1]),
            orbit.closure_error,
        )
    return orbit


def halo_orbit(
    z_amplitude_km: float, *, branch: str = "south", system: CR3BPSystem = EARTH_MOON
) -> PeriodicOrbit:
    """The L2 halo orbit whose x-z plane crossing at largest ``|z|`` has ``|z| = z_amplitude_km``.

    Found by continuation from the catalogue NRHO towards L2 along the family, then a
    correction with z0 fixed. Valid amplitudes for the L2 family run from about 8,000 km (near
    the bifurcation from the planar Lyapunov family) to about 75,000 km (deep NRHOs).
    """
    if branch not in ("south", "north"):
        raise InputError(f"unknown branch {branch!r}", field="branch", hint="'south' or 'north'")
    z_target = z_amplitude_km / system.length_km
    seed_state, seed_period = NRHO_SEED_L2_SOUTH
    seed = correct_halo(seed_state, seed_period, fix="x", system=system)
    members = continue_halo_family(
        seed,
        step=0.01,
        max_members=400,
        direction=1.0,
        stop=lambda m: abs(m.state0[2]) <= z_target,
    )
    zs = np.abs([m.state0[2] for m in members])
    if not (zs.min() <= z_target <= zs.max()):
        raise InputError(
            f"no L2 halo has a z amplitude of {z_amplitude_km:.0f} km; this family spans "
            f"{zs.min() * system.length_km:.0f} to {zs.max() * system.length_km:.0f} km",
            field="z_amplitude_km",
        )
    best = members[int(np.argmin(np.abs(zs - z_target)))]
    guess = best.state0.copy()
    guess[2] = -z_target
    orbit = correct_halo(guess, best.period, fix="z", system=system)
    if branch == "north":
        flip = np.array([1, 1, -1, 1, 1, -1])
        orbit = PeriodicOrbit(
            orbit.state0 * flip,
            orbit.period,
            orbit.mu,
            "halo",
            system,
            np.diag(flip) @ orbit.monodromy @ np.diag(flip),
            orbit.closure_error,
        )
    return orbit
