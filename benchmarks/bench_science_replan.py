"""Re-planning benchmark: after a failure, how many planned runs move, and what value is kept.

    python benchmarks/bench_science_replan.py                   # 1 year, 1,000 requests (minutes)
    python benchmarks/bench_science_replan.py --requests 10000 --years 10 --time-limit-s 300 \\
        --skip-single

For a seeded synthetic problem (``moonbase.science.synthetic``; data may wait for the downlink
in the reference station's onboard buffer, or ``--buffer-gbit``) the plan in force is the better
greedy schedule; then the station's power is cut (``--power-factor``, default a half) from a
third of the way into the campaign on, and the plan is re-planned from there three ways, in one
run:

* **kept, filled** (no search): the planned runs that still fit, in the order of their start,
  with left-out runs added where they fit (the warm start and fallback of the single model);
* **CP-SAT, one model** (``moonbase.science.cpsat.replan``; ``--skip-single`` leaves it out);
* **CP-SAT, window by window** (``moonbase.science.rolling.replan_by_windows``), which also
  bounds the fewest moves any re-plan can make.

Each row gives the planned runs moved or dropped (fewer is better; both re-planners minimise
that first), the weighted value, the ratio of value to the kept-and-filled value, the wall time,
the largest yearly |share - entitlement| over partners, and the independent checker's verdict
(violations other than the overruns of runs under way). With ``--fairness band`` (yearly, within
``--tolerance``) the plan in force is the window search's schedule under the band (same time
limit), both re-planners shrink the shares' excess outside the band before the moves, and the
band column says whether every yearly share is within it.
Timings are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import kept_and_filled_starts, replan
from moonbase.science.instance import build_instance
from moonbase.science.priced import better_greedy_starts
from moonbase.science.rolling import replan_by_windows, schedule_rolling
from moonbase.science.solution import (
    SchedulerConfig,
    band_excess,
    job_starts,
    largest_share_deviation,
    runs_started,
    schedule_from_starts,
)
from moonbase.science.synthetic import reference_buffer_gbit, synthetic_problem


def _row(name, instance, problem, schedule, planned, baseline, config, fewest=None):
    starts = job_starts(instance, schedule)
    moved = int(np.sum((planned >= 0) & (starts != planned)))
    violations = [v for v in check_schedule(problem, schedule) if "uses" not in v]
    ratio = schedule.value / baseline if baseline else float("nan")
    bound = "" if fewest is None else f" (>= {fewest:,})"
    deviation = 100 * largest_share_deviation(instance, schedule, period_days=365.25)
    band = (
        ""
        if config.fairness != "band"
        else ("in" if not band_excess(instance, starts, config) else "out")
    )
    print(
        f"{name:<28} {moved:>7,}{bound:<11} {schedule.value:>11,.1f} {ratio:>6.3f} "
        f"{schedule.wall_s:>8.1f} {deviation:>7.1f} {band:>4} "
        f"{'ok' if not violations else f'{len(violations)} violations'}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--time-limit-s", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--power-factor", type=float, default=0.5)
    parser.add_argument("--window-days", type=float, default=30.0)
    parser.add_argument("--skip-single", action="store_true", help="Leave the one model out.")
    parser.add_argument(
        "--buffer-gbit",
        type=float,
        default=reference_buffer_gbit(),
        help="onboard data buffer, Gbit (default: the systems twin's reference station's; "
        "0: none, each day's data go down that day)",
    )
    parser.add_argument("--fairness", choices=("none", "band", "penalty"), default="none")
    parser.add_argument("--tolerance", type=float, default=0.02, help="band half-width")
    args = parser.parse_args(argv)

    days = round(365.25 * args.years)
    problem = synthetic_problem(
        args.requests, args.partners, days, seed=args.seed, data_buffer_gbit=args.buffer_gbit
    )
    instance = build_instance(problem)
    config = SchedulerConfig(
        time_limit_s=args.time_limit_s,
        workers=args.workers,
        seed=args.seed,
        fairness=args.fairness,
        fairness_tolerance=args.tolerance,
    )
    if args.fairness == "band":
        plan = schedule_rolling(instance, config, window_days=args.window_days)
    else:
        plan = schedule_from_starts(
            instance, better_greedy_starts(instance), solver="greedy", status="", wall_s=0.0
        )
    now = days // 3
    resources = problem.resources
    power = [*resources.power_w[:now], *(p * args.power_factor for p in resources.power_w[now:])]
    failed = problem.model_copy(
        update={"resources": resources.model_copy(update={"power_w": power})}
    )
    new = build_instance(failed, started=runs_started(plan, now))
    previous = job_starts(new, plan)
    planned = np.where(previous >= now, previous, -1)
    print(
        f"{args.requests:,} requests, {args.partners} partners, {days} days; plan in force: "
        f"{plan.solver} ({plan.status or 'no band'}), value {plan.value:,.1f}; power x {args.power_factor:g} from day {now}; "
        f"{int(np.sum(planned >= 0)):,} runs planned from then on; {args.time_limit_s:g} s, "
        f"{args.workers} workers; data buffer {args.buffer_gbit:g} Gbit; fairness {args.fairness}"
    )
    print(
        f"{'re-plan':<28} {'moved (fewest)':>18} {'value':>11} {'ratio':>6} {'wall s':>8} "
        f"{'dev pt':>7} {'band':>4} checker"
    )

    began = time.perf_counter()
    filled = schedule_from_starts(
        new,
        kept_and_filled_starts(new, plan, now),
        solver="kept, filled",
        status="",
        wall_s=time.perf_counter() - began,
    )
    _row("kept, filled (no search)", new, failed, filled, planned, filled.value, config)
    if not args.skip_single:
        single = replan(new, plan, now, config)
        name = "CP-SAT, one model" + (" (no sol.)" if "no solution" in single.solver else "")
        _row(name, new, failed, single, planned, filled.value, config)
    windows = replan_by_windows(new, plan, now, config, window_days=args.window_days)
    _row(
        "CP-SAT, window by window",
        new,
        failed,
        windows,
        planned,
        filled.value,
        config,
        windows.fewest_moved,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
