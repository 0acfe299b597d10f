"""Science scheduler benchmark: CP-SAT against the greedy priority baseline, in one run.

    python benchmarks/bench_science.py                     # scaled-down default (minutes)
    python benchmarks/bench_science.py --requests 10000 --partners 20 --years 10 --time-limit-s 600

For a seeded synthetic problem (``moonbase.science.synthetic``: 20 partners with 1/rank
entitlements, daily buckets, windows on lunar cycles, downlink the binding resource; data may
wait for it in the onboard buffer of the systems twin's reference station, 2,000 Gbit, or
``--buffer-gbit``; with 0 each day's data must go down that day) it prints:
the greedy and fair-greedy baselines and the price-guided greedy (value, time), CP-SAT's time to
first reach each gap to its own bound (10 %, 5 %, 2 %) and its final value (``--skip-single``
leaves the single model out), the window-by-window CP-SAT search (``moonbase.science.rolling``,
same time limit and fairness), the gap of each to the best upper
bound (the least of CP-SAT's, the energy-knapsack bound of ``moonbase.science.bounds`` and, with
``--lp-bound``, its LP relaxation), and the fairness of every schedule (largest
|delivered share - entitlement| over partners, whole campaign and yearly). Every schedule is
verified by the independent checker. The ratio column is value / greedy value.

Timings are wall-clock on whatever machine runs it; on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from ortools.sat.python import cp_model

from moonbase.science.bounds import energy_knapsack_bound, lp_bound
from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import CpSatScheduler
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import build_instance
from moonbase.science.priced import priced_starts
from moonbase.science.rolling import schedule_rolling
from moonbase.science.solution import (
    SchedulerConfig,
    largest_share_deviation,
    schedule_from_starts,
)
from moonbase.science.synthetic import reference_buffer_gbit, synthetic_problem

GAPS = (0.10, 0.05, 0.02)


class _GapClock(cp_model.CpSolverSolutionCallback):
    """Records when the incumbent first comes within each gap of the current bound."""

    def __init__(self, began: float):
        super().__init__()
        self.began = began
        self.reached: dict[float, float] = {}
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.began
        if self.first is None:
            self.first = now
        objective, bound = self.objective_value, self.best_objective_bound
        gap = abs(bound - objective) / max(abs(bound), 1e-9)
        for target in GAPS:
            if gap <= target and target not in self.reached:
                self.reached[target] = now


def _solve_cpsat(instance, config):
    """Solve with a callback that records the time to each gap; returns (schedule, clock)."""
    began = time.perf_counter()
    scheduler = CpSatScheduler(instance, config)
    scheduler.build()
    build_s = time.perf_counter() - began
    clock = _GapClock(began)
    return scheduler.solve(clock), clock, build_s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--time-limit-s", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window-days", type=float, default=30.0)
    parser.add_argument(
        "--buffer-gbit",
        type=float,
        default=reference_buffer_gbit(),
        help="onboard data buffer, Gbit (default: the systems twin's reference station's; "
        "0: none, each day's data go down that day)",
    )
    parser.add_argument(
        "--skip-single", action="store_true", help="skip the single CP-SAT model (large runs)"
    )
    parser.add_argument("--fairness", default="none", choices=("none", "penalty", "band"))
    parser.add_argument("--fairness-weight", type=float, default=1.0)
    parser.add_argument(
        "--lp-bound",
        action="store_true",
        help="also solve the time-indexed LP relaxation for a bound (months, not years)",
    )
    args = parser.parse_args(argv)

    n_days = round(365.25 * args.years)
    began = time.perf_counter()
    problem = synthetic_problem(
        args.requests, args.partners, n_days, seed=args.seed, data_buffer_gbit=args.buffer_gbit
    )
    instance = build_instance(problem)
    prep_s = time.perf_counter() - began
    print(
        f"{args.requests:,} requests, {args.partners} partners, {n_days:,} daily buckets: "
        f"{instance.n_jobs:,} runs, {len(instance.rejections):,} requests rejected as malformed "
        f"(generated and validated in {prep_s:.1f} s); CP-SAT {args.workers} workers, "
        f"limit {args.time_limit_s:g} s, fairness {args.fairness} (weight {args.fairness_weight:g}); "
        f"data buffer {args.buffer_gbit:g} Gbit; cpu_count {os.cpu_count()}",
        flush=True,
    )
    greedy = schedule_greedy(instance)
    fair = schedule_greedy(instance, fair=True)
    t0 = time.perf_counter()
    priced = schedule_from_starts(
        instance,
        priced_starts(instance),
        solver="greedy-priced",
        status="HEURISTIC",
        wall_s=time.perf_counter() - t0,
    )
    config = SchedulerConfig(
        time_limit_s=args.time_limit_s,
        workers=args.workers,
        relative_gap=0.02,
        fairness=args.fairness,
        fairness_weight=args.fairness_weight,
        seed=args.seed,
    )
    schedules = [("greedy", greedy), ("greedy-fair", fair), ("greedy-priced", priced)]
    cpsat = None
    if not args.skip_single:
        cpsat, clock, build_s = _solve_cpsat(instance, config)
        name = "cpsat" if cpsat.solver == "cpsat" else "cpsat (none; best greedy)"
        schedules.append((name, cpsat))
    trace: list[tuple[float, float]] = []
    windows = schedule_rolling(
        instance,
        config,
        window_days=args.window_days,
        progress=lambda elapsed_s, value: trace.append((elapsed_s, value)),
    )
    schedules.append((f"cpsat windows {args.window_days:g} d", windows))
    energy_bound = energy_knapsack_bound(instance)
    bound = energy_bound
    if args.fairness == "none" and cpsat is not None and cpsat.objective_bound is not None:
        bound = min(bound, cpsat.objective_bound)
    lp, lp_s = None, 0.0
    if args.lp_bound:
        t0 = time.perf_counter()
        try:
            lp = lp_bound(instance, time_limit_s=args.time_limit_s)
        except RuntimeError as error:  # too large, or not solved in time: no bound
            print(f"no LP bound: {error}")
        else:
            bound = min(bound, lp)
        lp_s = time.perf_counter() - t0

    rows = []
    for name, schedule in schedules:
        violations = check_schedule(problem, schedule)
        rows.append(
            (
                name,
                f"{len(schedule.assignments):,}",
                f"{schedule.value:,.1f}",
                f"{schedule.value / max(greedy.value, 1e-9):.3f}",
                f"{100 * (bound - schedule.value) / bound:.2f} %",
                f"{100 * largest_share_deviation(instance, schedule):.1f}",
                f"{100 * largest_share_deviation(instance, schedule, period_days=365.25):.1f}",
                f"{schedule.wall_s:.1f}",
                "ok" if not violations else f"{len(violations)} VIOLATIONS",
            )
        )
    header = (
        "schedule",
        "runs",
        "value",
        "ratio",
        "gap to bound",
        "share dev campaign, pts",
        "share dev yearly, pts",
        "s",
        "checker",
    )
    widths = [max(len(str(r[i])) for r in (*rows, header)) for i in range(len(header))]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    print()
    print(
        f"bound = min(CP-SAT bound {cpsat.objective_bound if cpsat else 'not run'}, "
        f"energy-knapsack bound {energy_bound:,.1f}, "
        + (f"LP bound {lp:,.1f} in {lp_s:.1f} s" if lp is not None else "LP bound not run")
        + f") = {bound:,.1f}"
    )
    print(f"windows: status {windows.status}")
    for target in GAPS:
        when = next((t for t, v in trace if v >= (1 - target) * bound), None)
        print(
            f"windows: within {100 * target:g} % of the bound after "
            + (f"{when:.1f} s" if when is not None else f"(not reached in {args.time_limit_s:g} s)")
        )
    if cpsat is None:
        return 0
    print(
        f"CP-SAT: model built in {build_s:.1f} s (incl. greedy warm start); status {cpsat.status}"
    )
    first = clock.first if clock.first is not None else float("nan")
    print(f"CP-SAT: first solution after {first:.1f} s")
    for target in GAPS:
        when = clock.reached.get(target)
        print(
            f"CP-SAT: within {100 * target:g} % of its own bound after "
            + (f"{when:.1f} s" if when is not None else f"(not reached in {args.time_limit_s:g} s)")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
