"""A CR3BP periodic orbit carried into the ephemeris model for several revolutions.

Method (multiple shooting, e.g. Pavlak & Howell 2012 for NRHOs):

1. Patch points: the CR3BP orbit laid into the DE421 Earth-Moon geometry
   (:func:`moonbase.orbit.ephemeris_model.rotating_to_mci`, mean units), ``per_rev`` points per
   revolution at fixed epochs.
2. Newton's method with the minimum-norm update (in CR3BP units, so 1 km and 1 m/s weigh like
   the dynamics) removes the position and velocity jumps between the ballistic arcs of the
   ephemeris model (Moon, Earth and Sun point masses), with a guarded step length.

The result is one continuous ballistic trajectory of the full model, close to the CR3BP
orbit. Measured on this machine: 4 revolutions of the 9:2 NRHO (26 days) converge in 10-13
iterations (about 3 s unloaded, 35 s on a busy shared machine); 20 revolutions at once did not
converge from the CR3BP guess, so years-long statistics use the CR3BP-mapped track
(:func:`moonbase.orbit.spec.orbit_states`), and :func:`ephemeris_orbit` measures how far that
track is from a true ephemeris-model orbit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp

from moonbase.errors import InputError
from moonbase.orbit.cr3bp import EARTH_MOON, GM_EARTH_KM3_S2, GM_MOON_KM3_S2
from moonbase.orbit.ephemeris_model import (
    GM_SUN_KM3_S2,
    ThirdBodyTable,
    _hermite,
    _rhs_ephemeris,
    rotating_to_mci,
)
from moonbase.orbit.periodic import PeriodicOrbit

__all__ = ["EphemerisOrbit", "ephemeris_orbit"]

_GM = np.array([GM_MOON_KM3_S2, GM_EARTH_KM3_S2, GM_SUN_KM3_S2])
_SCALE = np.array([EARTH_MOON.length_km] * 3 + [EARTH_MOON.velocity_km_s] * 3)


@njit(cache=True)
def _rhs_stm(t, s, et0, p, v, t0, step, gm):  # pragma: no cover - compiled
    """Ephemeris-model state plus STM: d Phi/dt = [[0, I], [G, 0]] Phi, G the gravity gradient."""
    out = np.empty(42)
    out[:6] = _rhs_ephemeris(t, s[:6], et0, p, v, t0, step, gm)
    et = et0 + t
    g = np.zeros((3, 3))
    d = np.empty(3)
    for b in range(3):
        for c in range(3):
            d[c] = -s[c] if b == 0 else _hermite(p, v, t0, step, et, b - 1, c) - s[c]
        dn = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
        for i in range(3):
            for j in range(3):
                g[i, j] += gm[b] * 3.0 * d[i] * d[j] / dn**5
            g[i, i] -= gm[b] / dn**3
    phi = s[6:].reshape(6, 6)
    dphi = np.empty((6, 6))
    dphi[:3, :] = phi[3:, :]
    dphi[3:, :] = g @ np.ascontiguousarray(phi[:3, :])
    out[6:] = dphi.ravel()
    return out


def _arc(state, et0, duration, table, stm: bool, dense: bool = False):
    y0 = np.concatenate([state, np.eye(6).ravel()]) if stm else state
    sol = solve_ivp(
        _rhs_stm if stm else _rhs_ephemeris,
        (0.0, float(duration)),
        y0,
        method="DOP853",
        rtol=1e-11,
        atol=1e-10,
        dense_output=dense,
        args=(float(et0), table.positions, table.velocities, table.et0_s, table.step_s, _GM),
    )
    end = sol.y[:6, -1]
    phi = sol.y[6:, -1].reshape(6, 6) if stm else None
    return end, phi, (sol.sol if dense else None)


def _jumps(x, et, table, stm: bool):
    n = x.shape[1]
    jumps = np.empty((6, n - 1))
    blocks = []
    for i in range(n - 1):
        end, phi, _ = _arc(x[:, i], et[i], et[i + 1] - et[i], table, stm)
        jumps[:, i] = end - x[:, i + 1]
        blocks.append(phi)
    return jumps, blocks


def _correct_window(x, et, table, free_start_position: bool, max_iter: int = 25):
    """Newton with minimum-norm steps on the scaled jumps; returns corrected patch states."""
    n = x.shape[1]
    x = x.copy()
    jumps, blocks = _jumps(x, et, table, True)
    error = np.max(np.abs(jumps / _SCALE[:, None]))
    for _ in range(max_iter):
        if error < 1e-9:  # 0.4 m and 1e-6 m/s
            return x
        jac = np.zeros((6 * (n - 1), 6 * n))
        for i, phi in enumerate(blocks):
            jac[6 * i : 6 * i + 6, 6 * i : 6 * i + 6] = phi * _SCALE[None, :] / _SCALE[:, None]
            jac[6 * i : 6 * i + 6, 6 * i + 6 : 6 * i + 12] = -np.eye(6)
        if not free_start_position:
            jac[:, :3] = 0.0  # the window starts where the kept trajectory ends
        rhs = (jumps / _SCALE[:, None]).T.ravel()
        gram = jac @ jac.T
        try:
            y = np.linalg.solve(gram, rhs)
        except np.linalg.LinAlgError:
            y = np.linalg.lstsq(gram, rhs, rcond=None)[0]
        dx = (-jac.T @ y).reshape(n, 6).T
        dx *= _SCALE[:, None]
        step = 1.0
        for _ in range(10):
            trial = x + step * dx
            t_jumps, _ = _jumps(trial, et, table, False)
            t_error = np.max(np.abs(t_jumps / _SCALE[:, None]))
            if t_error < 2.0 * error:  # non-monotone: full Newton steps unless they blow up
                break
            step *= 0.5
        x = trial
        jumps, blocks = _jumps(x, et, table, True)
        error = np.max(np.abs(jumps / _SCALE[:, None]))
    raise InputError(
        f"multiple shooting in the ephemeris model did not converge (scaled jump {error:.2e})",
        field="orbit",
        hint="try more patch points per revolution or a shorter window",
    )


@dataclass(frozen=True)
class EphemerisOrbit:
    """A continuous ballistic ephemeris-model trajectory stored as dense arcs between patches.

    ``patch_s (P,)`` epochs of the patch points, ``patch_states (6, P)`` the corrected states,
    ``arcs`` the dense solution of each arc (``P - 1``).
    """

    patch_s: np.ndarray
    patch_states: np.ndarray
    arcs: tuple

    def at(self, et_s) -> np.ndarray:
        """Moon-centred J2000 states ``(6, N)`` at epochs within the span."""
        et = np.atleast_1d(np.asarray(et_s, dtype=float))
        if np.any(et < self.patch_s[0] - 1e-6) or np.any(et > self.patch_s[-1] + 1e-6):
            raise InputError("epoch outside the propagated span", field="et_s")
        k = np.clip(np.searchsorted(self.patch_s, et, side="right") - 1, 0, len(self.arcs) - 1)
        out = np.empty((6, et.size))
        for j in np.unique(k):
            sel = k == j
            out[:, sel] = self.arcs[j](et[sel] - self.patch_s[j])
        return out


def ephemeris_orbit(
    orbit: PeriodicOrbit,
    et_start_s: float,
    revolutions: int = 4,
    *,
    epoch_s: float | None = None,
    phase: float = 0.0,
    per_rev: int = 8,
) -> EphemerisOrbit:
    """Correct ``revolutions`` revolutions of ``orbit`` from ``et_start_s`` into one continuous
    ephemeris-model trajectory (the CR3BP phase is ``phase`` periods past apolune at
    ``epoch_s``, default the start). At most 8 revolutions."""
    if not 1 <= revolutions <= 8:
        raise InputError(
            f"{revolutions} revolutions: the corrector handles 1 to 8 at once",
            field="revolutions",
            hint="use the CR3BP-mapped track (orbit_states) for longer spans",
        )
    epoch = et_start_s if epoch_s is None else epoch_s
    period_s = orbit.period * orbit.system.time_s
    et = et_start_s + np.arange(revolutions * per_rev + 1) * period_s / per_rev
    tau = (et - epoch) / orbit.system.time_s + phase * orbit.period
    guess = rotating_to_mci(orbit.states(tau), et, orbit.system, time_scale="mean")
    table = ThirdBodyTable.build(et[0], et[-1])
    x = _correct_window(guess, et, table, True)
    arcs = tuple(
        _arc(x[:, i], et[i], et[i + 1] - et[i], table, False, dense=True)[2]
        for i in range(et.size - 1)
    )
    return EphemerisOrbit(et, x, arcs)
