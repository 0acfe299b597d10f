"""Whole-plan Monte Carlo benchmark (issue 19, section 4): samples per second on Dask.

Makes the plan of the built-in ILRS reference (as of 2026-12-03, the packaged real terrain; about
two minutes) once, then times :func:`moonbase.study.plan_risk` on it: in process, and on 1 and 2
local Dask workers started and warmed up before the clock starts (a first small call loads
each worker's compiled twin). Prints samples per second, the 2-worker / 1-worker ratio, that
the three runs are identical for the seed, and the peer: re-making the plan itself for every
sample (``moonbase.plan``'s own runtime per sample against the Monte Carlo's time per sample).

    python benchmarks/bench_plan_risk.py                  # reference plan, 40 samples per run
    python benchmarks/bench_plan_risk.py --runs 100
    python benchmarks/bench_plan_risk.py --scenario tests/study/plan_risk_small.toml \\
        --synthetic-terrain --as-of 2030-01-01           # a small plan, seconds

Timings on a shared machine are noisy; run twice and compare.
"""

from __future__ import annotations

import argparse
import os

import numpy as np


def _same(a, b) -> bool:
    return (
        np.array_equal(a.usage, b.usage)
        and np.array_equal(a.science_value, b.science_value)
        and np.array_equal(a.critical_energy_not_served_kwh, b.critical_energy_not_served_kwh)
        and np.array_equal(a.campaign.completion_bucket, b.campaign.completion_bucket)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-runs", type=int, default=5)
    parser.add_argument("--scenario", default=None, help="scenario TOML (default: reference)")
    parser.add_argument("--as-of", default="2026-12-03")
    parser.add_argument("--synthetic-terrain", action="store_true")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    import moonbase
    from moonbase.scenario import load_scenario
    from moonbase.site.stage import site_terrain
    from moonbase.study import plan_risk

    scenario = load_scenario(args.scenario) if args.scenario else None
    plan = moonbase.plan(
        scenario,
        as_of=args.as_of,
        terrain=site_terrain(synthetic=args.synthetic_terrain),
        risk_runs=1_000,
        risk_workers=0,
        campaign_time_limit_s=20.0,
        science_time_limit_s=10.0,
    )
    science = plan.science.instance
    print(
        f"plan of {plan.scenario.name} as of {plan.as_of}: made in {plan.runtime_s:.1f} s; "
        f"{len(plan.systems.simulation.drivers.times_utc):,} twin steps, {science.n_jobs:,} "
        f"science runs over {science.n_buckets:,} daily buckets; {os.cpu_count()} CPUs "
        "(shared with other work: timings are noisy)"
    )
    kwargs = dict(runs=args.runs, seed=args.seed, chunk_runs=args.chunk_runs)
    print()
    print(f"{'whole-plan Monte Carlo':<34}{'samples':>8}{'wall s':>9}{'samples/s':>11}")
    serial = plan_risk(plan, workers=0, **kwargs)
    print(
        f"{'in process (no Dask)':<34}{serial.n_runs:>8}{serial.wall_s:>9.2f}"
        f"{serial.samples_per_s:>11.3f}"
    )
    print(f"  (compiling the plan for the samples, relay tables included: {serial.setup_s:.1f} s)")
    rates, identical = {}, True
    for workers in (1, 2):
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
            plan_risk(plan, runs=workers, seed=args.seed, chunk_runs=1, client=client)  # warm-up
            result = plan_risk(plan, client=client, **kwargs)
        identical &= _same(result, serial)
        rates[workers] = result.samples_per_s
        print(
            f"{f'Dask {workers} worker(s), warm workers':<34}{result.n_runs:>8}"
            f"{result.wall_s:>9.2f}{result.samples_per_s:>11.3f}"
        )
    print(
        f"2 workers / 1 worker throughput: {rates[2] / rates[1]:.2f}x; results identical to the "
        f"in-process run for the seed: {identical}"
    )
    per_sample = 1.0 / rates[1]
    print(
        f"peer, re-making the plan per sample: {plan.runtime_s:.1f} s each, "
        f"{plan.runtime_s / per_sample:.0f}x the Monte Carlo's {per_sample:.2f} s per sample "
        "on one worker"
    )
    summary = serial.summary()["station"]
    print(
        f"P(basic model by {summary['target']}) = {summary['p_basic_model_by_target']:.3f}; "
        f"P(critical energy all served) = {summary['p_critical_energy_served']:.3f}"
    )
    if not identical:
        raise SystemExit("results differ between worker counts")


if __name__ == "__main__":
    main()
