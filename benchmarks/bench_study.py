"""Study benchmark: the same study on 1 and 2 local Dask workers, and the site stage's disk cache.

The study: four variants of the tiny station shipped with moonbase (two sites, each with and
without its reactor) on the packaged LOLA-derived DEM with the global far field, the site stage at
full resolution (a year's survey at 360 azimuths). Three runs:

* cold on 1 worker, with a fresh cache (the two site stages are computed);
* cold on 2 workers, with another fresh cache;
* warm on 2 workers, with that cache again (the site stages are read, not computed).

Prints each run's wall time, the ratio 1 worker / 2 workers (cold) and cold / warm (2 workers), and
whether the three runs' results are identical (``study.json`` less run times and worker counts).

    python benchmarks/bench_study.py            # full-resolution site stage, ~5 minutes
    python benchmarks/bench_study.py --quick    # 60-day survey at 90 azimuths

Timings on a shared machine are noisy; run twice and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

BODY = """
[[variants]]
name = "ridge"

[[variants]]
name = "ridge-no-reactor"
drop_elements = ["REACTOR-1"]

[[variants]]
name = "rim"
site = {{ name = "Shackleton rim", latitude_deg = -89.78, longitude_deg = 203.88, search_radius_km = 2.0 }}

[[variants]]
name = "rim-no-reactor"
site = {{ name = "Shackleton rim", latitude_deg = -89.78, longitude_deg = 203.88, search_radius_km = 2.0 }}
drop_elements = ["REACTOR-1"]
"""

HEAD = """
name = "Benchmark: two sites, with and without the reactor"
base = "{base}"
as_of = 2030-01-01
seed = 0

[options]
risk_runs = 500
campaign_time_limit_s = 5.0
science_time_limit_s = 2.0
replan_time_limit_s = 5.0
terrain = "packaged"
far_field = true
survey_days = {days}
n_azimuths = {azimuths}
"""

_RUN_ONLY = {"runtime_s", "wall_s", "workers", "site_computed", "cache"}


def _comparable(data):
    if isinstance(data, dict):
        return {k: _comparable(v) for k, v in data.items() if k not in _RUN_ONLY}
    if isinstance(data, list):
        return [_comparable(v) for v in data]
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60-day survey at 90 azimuths")
    args = parser.parse_args()
    days, azimuths = (60, 90) if args.quick else (365, 360)

    from moonbase.study import example_path, load_study, run_study, write_study

    base = example_path("two-sites").with_name("tiny_station.toml")
    folder = Path(tempfile.mkdtemp(prefix="moonbase-bench-study-"))
    path = folder / "study.toml"
    head = HEAD.format(base=base.as_posix(), days=days, azimuths=azimuths)
    path.write_text(head + BODY.format(), encoding="utf-8")
    study = load_study(path)
    print(
        f"study: {len(study.variants)} variants of the tiny station, 2 distinct sites; site stage "
        f"{days} days x {azimuths} azimuths with the far field; {os.cpu_count()} CPUs "
        "(shared: timings are noisy)"
    )
    runs = {}
    for label, workers, cache in (
        ("cold, 1 worker", 1, folder / "cache-1"),
        ("cold, 2 workers", 2, folder / "cache-2"),
        ("warm, 2 workers", 2, folder / "cache-2"),
    ):
        began = time.perf_counter()
        result = run_study(study, folder / label.replace(", ", "-"), workers=workers, cache=cache)
        wall = time.perf_counter() - began
        paths = write_study(result)
        failed = [o.failure for o in result.outcomes if not o.ok]
        assert not failed, failed
        runs[label] = (wall, result, json.loads(paths["json"].read_text()))
        plans = sum(o.runtime_s for o in result.outcomes)
        print(
            f"{label:16s} {wall:7.1f} s wall; site stages computed {result.site_computed} of "
            f"{result.site_stages}; plans' own time {plans:6.1f} s"
        )
    cold1, cold2, warm2 = (runs[k][0] for k in runs)
    same = {_json(runs[k][2]) for k in runs}
    print(f"1 worker / 2 workers (cold): {cold1 / cold2:.2f}x")
    print(f"cold / warm cache (2 workers): {cold2 / warm2:.2f}x")
    print(f"identical results in the three runs: {len(same) == 1}")
    for outcome in runs["warm, 2 workers"][1].outcomes:
        f = outcome.figures
        print(
            f"  {outcome.name:17s} basic model {f['basic_model_operating']}, survival margin "
            f"{f['min_survival_margin_h']:7.1f} h, science value {f['science_value']:6.1f}, "
            f"site lit {f['lit_percent']:.1f} %"
        )


def _json(data) -> str:
    return json.dumps(_comparable(data), sort_keys=True)


if __name__ == "__main__":
    main()
