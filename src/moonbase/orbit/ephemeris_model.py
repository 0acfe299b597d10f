"""From the CR3BP to the real Earth-Moon geometry, and propagation in the ephemeris model.

Frames: ``MCI`` here is Moon-centred, axes of J2000/ICRF (km, km/s), the frame of the CCSDS
export. The *instantaneous* Earth-Moon rotating frame at TDB epoch ``et`` is built from DE421
(environment engine): ``x`` along Earth->Moon, ``z`` along the Moon's orbital angular momentum
about the Earth, lengths scaled by the actual Earth-Moon distance and times by the actual
angular rate. :func:`rotating_to_mci` maps CR3BP states through it (the usual "pulsating
rotating frame" transition from CR3BP to ephemeris initial guesses).

The ephemeris model (:func:`propagate_ephemeris`) integrates Moon-centred motion with the Moon
as the central point mass and the Earth and the Sun as point-mass third bodies (direct minus
indirect term), their positions from DE421 interpolated by cubic Hermite splines on a 1-hour
grid (interpolation error < 1 m). No lunar gravity harmonics, no radiation pressure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp

from moonbase.constants import MOON_RADIUS_KM
from moonbase.ephemeris import lunar_ephemeris
from moonbase.errors import InputError
from moonbase.orbit.cr3bp import EARTH_MOON, GM_EARTH_KM3_S2, GM_MOON_KM3_S2, CR3BPSystem
from moonbase.time import parse_utc, tdb_seconds

__all__ = [
    "GM_SUN_KM3_S2",
    "EphemerisTrajectory",
    "ThirdBodyTable",
    "earth_moon_frame",
    "propagate_ephemeris",
    "relative_states",
    "rotating_to_mci",
    "sample_epochs",
]

#: GM of the Sun in DE421, km^3/s^2.
GM_SUN_KM3_S2 = 132_712_440_040.944


def relative_states(body: str, et_s) -> tuple[np.ndarray, np.ndarray]:
    """Position ``(3, N)`` km and velocity km/s of ``body`` (sun/earth) relative to the Moon."""
    et_s = np.atleast_1d(np.asarray(et_s, dtype=float))
    eph = lunar_ephemeris()
    eph.check_coverage(et_s)
    rb, vb = eph.state(body, et_s)
    rm, vm = eph.state("moon", et_s)
    return rb - rm, vb - vm


def sample_epochs(start, stop, step_s: float) -> np.ndarray:
    """Regular TDB epochs from UTC ``start`` to ``stop`` (strings or Times)."""
    et0 = float(tdb_seconds(parse_utc(start, field="start")))
    et1 = float(tdb_seconds(parse_utc(stop, field="stop")))
    if et1 <= et0:
        raise InputError("stop must come after start", field="stop")
    if step_s <= 0 or (et1 - et0) / step_s > 20_000_000:
        raise InputError("step must be positive and give at most 20 million samples", field="step")
    n = int(np.floor((et1 - et0) / step_s)) + 1
    et = et0 + step_s * np.arange(n)
    lunar_ephemeris().check_coverage(et, field="start")
    return et


def earth_moon_frame(et_s):
    """Axes ``(N, 3, 3)`` (columns x, y, z of the rotating frame in J2000), distance km,
    its rate km/s and the angular rate rad/s of the instantaneous Earth-Moon frame."""
    r_em, v_em = relative_states("earth", et_s)
    r = -r_em  # Earth -> Moon
    v = -v_em
    dist = np.linalg.norm(r, axis=0)
    h = np.cross(r, v, axis=0)
    hn = np.linalg.norm(h, axis=0)
    xh = r / dist
    zh = h / hn
    yh = np.cross(zh, xh, axis=0)
    axes = np.stack([xh, yh, zh], axis=1).transpose(2, 0, 1)  # (N, 3 comps, 3 axes)
    rate = np.sum(r * v, axis=0) / dist
    omega = hn / dist**2
    return axes, dist, rate, omega


def rotating_to_mci(
    states_nd,
    et_s,
    system: CR3BPSystem = EARTH_MOON,
    *,
    time_scale: str = "instantaneous",
    frame=None,
) -> np.ndarray:
    """Map CR3BP rotating states ``(6, N)`` at epochs ``et_s (N,)`` to Moon-centred J2000 km, km/s.

    ``time_scale="instantaneous"`` scales lengths by the actual Earth-Moon distance and rates by
    the actual angular rate (the pulsating frame). ``"mean"`` keeps the CR3BP's fixed length
    and time units and only turns the axes with the real Earth-Moon line: velocities stay the
    exact derivative of positions for a track whose phase advances at the mean rate, and the
    Moon's gravity stays consistent with the CR3BP (used for tracks and patch points).
    ``frame`` is :func:`earth_moon_frame` of ``et_s`` when the caller already has it (many
    tracks at the same epochs).
    """
    s = np.asarray(states_nd, dtype=float).reshape(6, -1)
    axes, dist, rate, omega = earth_moon_frame(et_s) if frame is None else frame
    rho = s[:3] - np.array([[1.0 - system.mu], [0.0], [0.0]])
    phase_rate = omega
    if time_scale == "mean":
        dist = np.full_like(dist, system.length_km)
        rate = np.zeros_like(rate)
        phase_rate = np.full_like(omega, 1.0 / system.time_s)
    elif time_scale != "instantaneous":
        raise InputError(f"unknown time scale {time_scale!r}", field="time_scale")
    rho_dot = s[3:] * phase_rate  # d rho / dt in Earth-Moon distances per second
    pos_dir = np.einsum("nij,jn->in", axes, rho)
    vel_dir = np.einsum("nij,jn->in", axes, rho_dot)
    w = axes[:, :, 2].T * omega  # angular velocity vector (3, N)
    r = dist * pos_dir
    v = rate * pos_dir + dist * vel_dir + np.cross(w, r, axis=0)
    return np.concatenate([r, v])


@dataclass(frozen=True)
class ThirdBodyTable:
    """Earth and Sun relative to the Moon on a regular TDB grid, for Hermite interpolation."""

    et0_s: float
    step_s: float
    positions: np.ndarray  # (2, 3, M) km: earth, sun
    velocities: np.ndarray  # (2, 3, M) km/s

    @classmethod
    def build(cls, start_s: float, stop_s: float, step_s: float = 3600.0) -> ThirdBodyTable:
        n = int(np.ceil((stop_s - start_s) / step_s)) + 3
        grid = start_s - step_s + step_s * np.arange(n)
        pe, ve = relative_states("earth", grid)
        ps, vs = relative_states("sun", grid)
        return cls(float(grid[0]), float(step_s), np.stack([pe, ps]), np.stack([ve, vs]))

    def at(self, et_s) -> np.ndarray:
        """Interpolated positions ``(2, 3, N)`` (earth, sun) at ``et_s``."""
        et_s = np.atleast_1d(np.asarray(et_s, dtype=float))
        out = np.empty((2, 3, et_s.size))
        _hermite_many(self.positions, self.velocities, self.et0_s, self.step_s, et_s, out)
        return out


@njit(cache=True)
def _hermite(p, v, et0, step, et, body, comp):  # pragma: no cover - compiled
    u = (et - et0) / step
    i = int(np.floor(u))
    if i < 0:
        i = 0
    elif i > p.shape[2] - 2:
        i = p.shape[2] - 2
    s = u - i
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    return (
        h00 * p[body, comp, i]
        + h10 * step * v[body, comp, i]
        + h01 * p[body, comp, i + 1]
        + h11 * step * v[body, comp, i + 1]
    )


@njit(cache=True)
def _hermite_many(p, v, et0, step, et, out):  # pragma: no cover - compiled
    for n in range(et.shape[0]):
        for b in range(2):
            for c in range(3):
                out[b, c, n] = _hermite(p, v, et0, step, et[n], b, c)


@njit(cache=True)
def _rhs_ephemeris(t, s, et0, p, v, t0, step, gm):  # pragma: no cover - compiled
    """Moon-centred point-mass dynamics; gm = (moon, earth, sun) in km^3/s^2."""
    et = et0 + t
    x, y, z = s[0], s[1], s[2]
    r = np.sqrt(x * x + y * y + z * z)
    k = -gm[0] / r**3
    out = np.empty(6)
    out[0] = s[3]
    out[1] = s[4]
    out[2] = s[5]
    ax = k * x
    ay = k * y
    az = k * z
    for b in range(2):
        bx = _hermite(p, v, t0, step, et, b, 0)
        by = _hermite(p, v, t0, step, et, b, 1)
        bz = _hermite(p, v, t0, step, et, b, 2)
        dx, dy, dz = bx - x, by - y, bz - z
        d = np.sqrt(dx * dx + dy * dy + dz * dz)
        rb = np.sqrt(bx * bx + by * by + bz * bz)
        g = gm[b + 1]
        ax += g * (dx / d**3 - bx / rb**3)
        ay += g * (dy / d**3 - by / rb**3)
        az += g * (dz / d**3 - bz / rb**3)
    out[3] = ax
    out[4] = ay
    out[5] = az
    return out


@dataclass(frozen=True)
class EphemerisTrajectory:
    """A Moon-centred J2000 trajectory: epochs (TDB s past J2000) and states (6, N) km, km/s."""

    et_s: np.ndarray
    states: np.ndarray
    solution: object

    def at(self, et_s) -> np.ndarray:
        """States ``(6, N)`` at epochs inside the propagated span (dense output)."""
        et_s = np.atleast_1d(np.asarray(et_s, dtype=float))
        return self.solution(et_s - self.et_s[0])


def propagate_ephemeris(
    state_km,
    et0_s: float,
    duration_s: float,
    *,
    third_bodies: bool = True,
    rtol: float = 1e-11,
    atol: float = 1e-9,
    table: ThirdBodyTable | None = None,
    check_escape: bool = True,
) -> EphemerisTrajectory:
    """Propagate a Moon-centred J2000 state ``(6,)`` km, km/s from TDB ``et0_s`` (DOP853).

    Raises :class:`InputError` if the orbit hits the lunar surface or leaves the Moon's
    sphere of influence region (beyond 250,000 km), i.e. it is not a bound lunar orbit.
    """
    s0 = np.asarray(state_km, dtype=float)
    if s0.shape != (6,) or not np.all(np.isfinite(s0)):
        raise InputError("the state needs 6 finite numbers (km, km/s)", field="state")
    if table is None:
        table = ThirdBodyTable.build(et0_s, et0_s + duration_s)
    gm = np.array(
        [
            GM_MOON_KM3_S2,
            GM_EARTH_KM3_S2 if third_bodies else 0.0,
            GM_SUN_KM3_S2 if third_bodies else 0.0,
        ]
    )

    def impact(t, s, *_):
        return np.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2) - MOON_RADIUS_KM

    def escape(t, s, *_):
        return 250_000.0 - np.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)

    impact.terminal = escape.terminal = True
    impact.direction = escape.direction = -1
    sol = solve_ivp(
        _rhs_ephemeris,
        (0.0, float(duration_s)),
        s0,
        method="DOP853",
        rtol=rtol,
        atol=atol,
        dense_output=True,
        args=(float(et0_s), table.positions, table.velocities, table.et0_s, table.step_s, gm),
        events=[impact, escape] if check_escape else None,
    )
    if check_escape:
        for name, hits in zip(
            ("hits the lunar surface", "escapes the Moon"), sol.t_events, strict=True
        ):
            if len(hits):
                raise InputError(
                    f"the orbit {name} {hits[0] / 86_400.0:.2f} days after the start epoch",
                    field="orbit",
                    hint="an uncontrolled NRHO in the ephemeris model drifts off after some "
                    "revolutions; propagate fewer revolutions or use the CR3BP-mapped track",
                )
    return EphemerisTrajectory(et0_s + sol.t, sol.y, sol.sol)
