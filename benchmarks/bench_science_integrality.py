"""How far the science scheduler's bounds lie above the true optimum, on campaigns CP-SAT solves.

    python benchmarks/bench_science_integrality.py                      # 4 sizes x 4 seeds
    python benchmarks/bench_science_integrality.py --sizes 75x30 112x45 --seeds 8

A schedule "within 2 % of the bound" is only possible where the bound is within 2 % of the
optimum. For seeded synthetic campaigns (``moonbase.science.synthetic``, 5 partners, by default
at the request density of the 10-year benchmark, about 2.7 requests a day) small enough for
CP-SAT to prove the optimum, this prints the optimum, the time-indexed LP bound and the energy
knapsack (``moonbase.science.bounds``), and how far the optimum lies below each. Campaigns that
CP-SAT does not solve to optimality within ``--time-limit-s`` are listed but left out of the
summary. Each optimum is verified by the independent checker.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from moonbase.science.bounds import energy_knapsack_bound, lp_bound
from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import schedule_cpsat
from moonbase.science.instance import build_instance
from moonbase.science.solution import SchedulerConfig
from moonbase.science.synthetic import synthetic_problem


def _size(text: str) -> tuple[int, int]:
    requests, days = text.lower().split("x")
    return int(requests), int(days)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_size,
        default=[(41, 15), (82, 30), (123, 45), (164, 60)],
        help="campaigns as REQUESTSxDAYS",
    )
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--partners", type=int, default=5)
    parser.add_argument("--time-limit-s", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--buffer-gbit", type=float, default=0.0, help="onboard data buffer (0: none)"
    )
    args = parser.parse_args(argv)

    header = (
        "requests",
        "days",
        "seed",
        "status",
        "optimum",
        "LP",
        "knapsack",
        "below LP",
        "below knapsack",
        "s",
    )
    print("  ".join(f"{h:>9}" for h in header), flush=True)
    below_lp: dict[tuple[int, int], list[float]] = {}
    for requests, days in args.sizes:
        for seed in range(args.seeds):
            problem = synthetic_problem(
                requests, args.partners, days, seed=seed, data_buffer_gbit=args.buffer_gbit
            )
            instance = build_instance(problem)
            began = time.perf_counter()
            config = SchedulerConfig(time_limit_s=args.time_limit_s, workers=args.workers)
            schedule = schedule_cpsat(instance, config)
            wall_s = time.perf_counter() - began
            if check_schedule(problem, schedule):
                raise SystemExit(f"the checker rejects the schedule of {requests}x{days} {seed}")
            lp, knapsack = lp_bound(instance), energy_knapsack_bound(instance)
            optimal = schedule.status == "OPTIMAL"
            gap_lp = 100 * (lp - schedule.value) / lp
            gap_knapsack = 100 * (knapsack - schedule.value) / knapsack
            if optimal:
                below_lp.setdefault((requests, days), []).append(gap_lp)
            row = (
                requests,
                days,
                seed,
                schedule.status,
                f"{schedule.value:.2f}",
                f"{lp:.2f}",
                f"{knapsack:.2f}",
                f"{gap_lp:.2f} %",
                f"{gap_knapsack:.2f} %",
                f"{wall_s:.0f}",
            )
            print("  ".join(f"{c:>9}" for c in row), flush=True)
    print()
    print("proven optimum below the LP bound, by campaign:")
    for (requests, days), gaps in below_lp.items():
        print(
            f"  {requests} requests / {days} days: {len(gaps)} optimal of {args.seeds}, "
            f"mean {np.mean(gaps):.2f} %, min {np.min(gaps):.2f} %, max {np.max(gaps):.2f} %"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
