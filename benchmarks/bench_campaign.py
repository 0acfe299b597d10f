"""Campaign optimiser and Monte Carlo benchmark (issue 4).

Default size: 100 elements, 60 candidate flights, 10 partners, 15 years of monthly buckets
(a synthetic instance, ``moonbase.campaign.synthetic_instance``, seed 0). Prints:

* greedy list scheduling vs CP-SAT: basic-model completion (months), time to optimal or to
  <= 1 % gap against CP-SAT's own bound (or the gap reached at the time limit);
* Monte Carlo throughput (runs/s) in process, and on Dask with 1 and 2 local workers, with and
  without the cluster start-up.

    python benchmarks/bench_campaign.py            # default size, ~2-3 minutes
    python benchmarks/bench_campaign.py --quick    # 30 elements, 16 flights, 4 partners, 8 years

Timings on a shared machine are noisy; run twice and compare.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=100)
    parser.add_argument("--flights", type=int, default=60)
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.elements, args.flights, args.partners, args.years = 30, 16, 4, 8
        args.time_limit = min(args.time_limit, 20.0)

    from distributed import Client, LocalCluster

    from moonbase.campaign import CampaignConfig, check_plan, greedy_plan, plan_objectives
    from moonbase.campaign.optimise import optimise_campaign
    from moonbase.campaign.risk import monte_carlo
    from moonbase.campaign.synthetic import synthetic_instance

    config = CampaignConfig(objectives=["earliest_basic_model"], relative_gap=0.01)
    instance = synthetic_instance(
        args.elements, args.flights, args.partners, args.years, seed=args.seed, config=config
    )
    print(
        f"instance: {len(instance.elements)} elements, {len(instance.flight_slots())} flight "
        f"slots, {len(instance.partners)} partners, {instance.n_buckets} monthly buckets; "
        f"{os.cpu_count()} CPUs (shared: timings are noisy)"
    )

    start = time.perf_counter()
    greedy = greedy_plan(instance)
    greedy_s = time.perf_counter() - start
    greedy_value = plan_objectives(instance, greedy)["earliest_basic_model"]
    result = optimise_campaign(instance, time_limit_s=args.time_limit, workers=2)
    stage = result.stages[0]
    assert not check_plan(instance, result.plan)
    value = result.values["earliest_basic_model"]
    print()
    print(f"{'planner':<22}{'completion (month)':>20}{'time s':>10}{'bound':>8}{'gap':>8}")
    print(f"{'greedy':<22}{greedy_value:>20}{greedy_s:>10.2f}{'':>8}{'':>8}")
    bound = "-" if stage.bound is None else f"{stage.bound:g}"
    gap = "-" if stage.gap is None else f"{stage.gap:.1%}"
    print(
        f"{'CP-SAT (' + stage.status + ')':<22}{value:>20}{stage.wall_s:>10.2f}{bound:>8}{gap:>8}"
    )
    print(
        f"greedy / optimised completion month: {greedy_value / max(value, 1):.3f} "
        f"(optimised {greedy_value - value} months earlier; gap target 1 %, "
        f"time limit {args.time_limit:g} s)"
    )

    plan = result.plan
    print()
    print(f"{'Monte Carlo':<34}{'runs':>8}{'wall s':>9}{'runs/s':>11}")
    start = time.perf_counter()
    serial = monte_carlo(instance, plan, n_runs=args.runs, seed=1, n_workers=0)
    wall = time.perf_counter() - start
    print(f"{'in process (no Dask)':<34}{args.runs:>8}{wall:>9.2f}{args.runs / wall:>11.0f}")
    rates = {}
    for workers in (1, 2):
        start = time.perf_counter()
        with (
            LocalCluster(
                processes=True,
                n_workers=workers,
                threads_per_worker=1,
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": ":0"},
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(__import__, "moonbase.campaign.risk")  # workers import moonbase first
            started = time.perf_counter()
            mc = monte_carlo(instance, plan, n_runs=args.runs, seed=1, client=client)
            done = time.perf_counter()
        assert np.array_equal(mc.completion_bucket, serial.completion_bucket)
        rates[workers] = args.runs / (done - started)
        print(
            f"{f'Dask {workers} worker(s), warm workers':<34}{args.runs:>8}"
            f"{done - started:>9.2f}{rates[workers]:>11.0f}"
        )
        print(
            f"{f'Dask {workers} worker(s), incl. start-up':<34}{args.runs:>8}"
            f"{done - start:>9.2f}{args.runs / (done - start):>11.0f}"
        )
    print(
        f"2 workers / 1 worker throughput (warm): {rates[2] / rates[1]:.2f}x; "
        "results identical to the in-process run for the same seed"
    )
    print(f"P(basic model by {serial.config.target}) = {serial.probability_by():.3f}")


if __name__ == "__main__":
    main()
