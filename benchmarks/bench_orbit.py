"""Benchmarks of the orbit node: CR3BP propagation, and the eclipse phase scan.

Part 1 (``propagation``): propagate many lunar-orbit-node trajectories for one year in the
CR3BP.

Orbits: the 9:2 L2 southern NRHO with 1 km / 1 mm/s random perturbations (the NRHO is mildly
unstable, so after some weeks each member wanders; a terminal event stops a member that hits
the Moon or the Earth or leaves 3 Earth-Moon distances). Integrators, same tolerance 1e-12:

* scipy ``solve_ivp`` DOP853 with a numba-compiled right-hand side (one orbit per call);
* heyoka (Taylor method, LLVM-compiled, ``ensemble_propagate_until`` over threads).

scipy runs a subset (``--scipy-orbits``) and its time is scaled to the full count; both times
are printed with the ratio. Timings on a shared 2-core machine are noisy.

Part 2 (``phase-scan``): the longest Earth-shadow and Moon-shadow eclipses of the 9:2 NRHO for
``--scan-phases`` phases over ``--scan-years`` years (600 s steps), by
:func:`moonbase.orbit.eclipse_phase_scan` (Sun, Earth and frame computed once; only samples a
shadow can reach are mapped) against the plain way, :func:`moonbase.orbit.node_eclipses` once
per phase over every sample; the ratio and whether the figures agree.

    python benchmarks/bench_orbit.py [--part all|propagation|phase-scan] [--orbits 1000]
        [--scipy-orbits 20] [--years 1] [--scan-phases 24] [--scan-years 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from moonbase.orbit import EARTH_MOON, nrho_orbit
from moonbase.orbit.cr3bp import _collision_escape_events, _rhs

YEAR_TU = 365.25 * 86400.0 / EARTH_MOON.time_s


def initial_states(n: int, seed: int = 8) -> np.ndarray:
    base = nrho_orbit().state0
    rng = np.random.default_rng(seed)
    dr = rng.normal(scale=1.0 / EARTH_MOON.length_km, size=(n, 3))
    dv = rng.normal(scale=1e-6 / EARTH_MOON.velocity_km_s, size=(n, 3))
    return base + np.hstack([dr, dv])


def run_scipy(states: np.ndarray, t_end: float) -> tuple[float, np.ndarray]:
    from scipy.integrate import solve_ivp

    mu = EARTH_MOON.mu
    events = _collision_escape_events(mu, 1737.4 / EARTH_MOON.length_km, 3.0)
    _rhs(0.0, states[0], mu)  # compile outside the timing
    ends = np.empty(len(states))
    t0 = time.perf_counter()
    for k, s in enumerate(states):
        sol = solve_ivp(
            _rhs,
            (0.0, t_end),
            s,
            method="DOP853",
            rtol=1e-12,
            atol=1e-12,
            args=(mu,),
            events=events,
        )
        ends[k] = sol.t[-1]
    return time.perf_counter() - t0, ends


def run_heyoka(states: np.ndarray, t_end: float) -> tuple[float, float, np.ndarray]:
    import heyoka as hy

    mu = EARTH_MOON.mu
    x, y, z, vx, vy, vz = hy.make_vars("x", "y", "z", "vx", "vy", "vz")
    r1 = hy.sqrt((x + mu) ** 2 + y**2 + z**2)
    r2 = hy.sqrt((x - (1 - mu)) ** 2 + y**2 + z**2)
    # Velocity form (heyoka's built-in model uses canonical momenta instead).
    a1, a2 = (1 - mu) / r1**3, mu / r2**3
    dyn = [
        (x, vx),
        (y, vy),
        (z, vz),
        (vx, 2 * vy + x - a1 * (x + mu) - a2 * (x - (1 - mu))),
        (vy, -2 * vx + y - a1 * y - a2 * y),
        (vz, -a1 * z - a2 * z),
    ]
    r_moon = 1737.4 / EARTH_MOON.length_km
    ev = [
        hy.t_event(r2 - r_moon),
        hy.t_event(r1 - 6378.1 / EARTH_MOON.length_km),
        hy.t_event(hy.sqrt(x**2 + y**2 + z**2) - 3.0),
    ]
    t0 = time.perf_counter()
    ta = hy.taylor_adaptive(dyn, states[0], tol=1e-12, t_events=ev)
    compile_s = time.perf_counter() - t0

    def gen(ta_copy, i):
        ta_copy.state[:] = states[i]
        ta_copy.time = 0.0
        return ta_copy

    t0 = time.perf_counter()
    results = hy.ensemble_propagate_until(ta, t_end, len(states), gen)
    elapsed = time.perf_counter() - t0
    ends = np.array([r[0].time for r in results])
    return elapsed, compile_s, ends


def run_phase_scan(phases: int, years: int) -> None:
    from moonbase.orbit import OrbitNodeSpec, eclipse_phase_scan, node_eclipses

    spec = OrbitNodeSpec(family="nrho")
    start, stop = "2030-01-01", f"{2030 + years}-01-01"
    node_eclipses(spec, start, "2030-01-08", step_s=600.0)  # warm the caches and the JIT
    t0 = time.perf_counter()
    scan = eclipse_phase_scan(spec, start, stop, phases=phases, step_s=600.0, refine=0)
    scan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain = [
        node_eclipses(spec.model_copy(update={"phase": float(p)}), start, stop, step_s=600.0)
        for p in scan.phases
    ]
    plain_s = time.perf_counter() - t0
    diff = max(
        max(
            abs(scan.eclipse_max_min[k] - e.longest_min()),
            abs(scan.earth_eclipse_max_min[k] - e.longest_min("earth")),
            abs(scan.moon_eclipse_max_min[k] - e.longest_min("moon")),
        )
        for k, e in enumerate(plain)
    )
    print(f"9:2 NRHO eclipse phase scan: {phases} phases, {start} to {stop}, 600 s steps")
    print(f"{'method':44s} {'wall s':>8s} {'s per phase':>12s}")
    print(f"{'eclipse_phase_scan (shared, screened)':44s} {scan_s:8.2f} {scan_s / phases:12.3f}")
    print(f"{'node_eclipses per phase (every sample)':44s} {plain_s:8.2f} {plain_s / phases:12.3f}")
    print(f"ratio plain / scan: {plain_s / scan_s:.1f}x; largest difference {diff:.2e} min")
    print(
        f"best phase {scan.best_phase:.4f}: longest eclipse "
        f"{scan.eclipse_max_min[scan.best]:.1f} min"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "propagation", "phase-scan"), default="all")
    parser.add_argument("--orbits", type=int, default=1000)
    parser.add_argument("--scipy-orbits", type=int, default=20)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--scan-phases", type=int, default=24)
    parser.add_argument("--scan-years", type=int, default=10)
    args = parser.parse_args()
    if args.part in ("all", "propagation"):
        run_propagation(args)
    if args.part in ("all", "phase-scan"):
        run_phase_scan(args.scan_phases, args.scan_years)


def run_propagation(args) -> None:
    t_end = args.years * YEAR_TU
    states = initial_states(args.orbits)
    sub = states[: args.scipy_orbits]
    sp_s, sp_end = run_scipy(sub, t_end)
    hy_s, hy_compile, hy_end = run_heyoka(states, t_end)
    sp_full = sp_s * args.orbits / len(sub)
    print(f"{args.orbits} perturbed 9:2 NRHOs, {args.years:g} year(s) = {t_end:.1f} TU, tol 1e-12")
    print(
        f"{'integrator':34s} {'orbits run':>10s} {'wall s':>9s} {'s per orbit':>12s} "
        f"{'full-set s':>11s}"
    )
    print(
        f"{'scipy DOP853 (numba rhs)':34s} {len(sub):10d} {sp_s:9.2f} {sp_s / len(sub):12.4f} "
        f"{sp_full:11.1f}"
    )
    print(
        f"{'heyoka Taylor (ensemble, threads)':34s} {args.orbits:10d} {hy_s:9.2f} "
        f"{hy_s / args.orbits:12.4f} {hy_s:11.1f}   (+{hy_compile:.1f} s JIT)"
    )
    print(f"ratio scipy / heyoka (full set): {sp_full / hy_s:.1f}x")
    stopped = np.mean(hy_end < t_end - 1e-9) * 100
    print(
        f"members stopped early by impact/escape: heyoka {stopped:.0f} %, "
        f"scipy subset {np.mean(sp_end < t_end - 1e-9) * 100:.0f} %"
    )
    # Members stop at different times, so compare throughput in propagated time too.
    sp_rate = sp_end.sum() / sp_s
    hy_rate = hy_end.sum() / hy_s
    print(
        f"mean propagated span: scipy {sp_end.mean() * EARTH_MOON.time_days:.1f} d, "
        f"heyoka {hy_end.mean() * EARTH_MOON.time_days:.1f} d (same subset: "
        f"{hy_end[: len(sub)].mean() * EARTH_MOON.time_days:.1f} d)"
    )
    print(
        f"throughput (orbit-days per wall second): scipy {sp_rate * EARTH_MOON.time_days:.0f}, "
        f"heyoka {hy_rate * EARTH_MOON.time_days:.0f}, ratio {hy_rate / sp_rate:.1f}x"
    )


if __name__ == "__main__":
    main()
