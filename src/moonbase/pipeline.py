"""The main job: make the plan of a scenario and write it out.

``moonbase run`` (and ``make run``) call :func:`run_scenario`: :func:`moonbase.plan` makes the
typed plan, and this module only writes what it holds: ``report.html``, ``summary.json`` (schema:
``docs/summary.md``) and the tables behind them. No stage logic lives here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from moonbase.io import atomic_path, write_text_atomic

if TYPE_CHECKING:
    from moonbase.spine import Plan

__all__ = ["SCIENCE_TIME_LIMIT_S", "RunResult", "run_scenario", "write_plan"]

#: The main job's limit on the science search (s).
SCIENCE_TIME_LIMIT_S = 5.0


@dataclass
class RunResult:
    """Where the main job wrote its outputs, the plan and its summary."""

    report_path: Path
    plan: Plan
    summary: dict
    files: list[Path] = field(default_factory=list)


def write_plan(plan, out: Path) -> RunResult:
    """Write ``plan``'s report, summary and tables under ``out`` (each file atomically)."""
    from moonbase.report import plan_report

    out = Path(out)
    files = []
    for station in plan.stations:
        place = station.place
        if station.location == "site":
            files.append(_csv(out / "site_ranking.csv", place.ranking))
            files.append(_parquet(out / "site_series.parquet", place.series))
        else:
            files.append(_parquet(out / "node_series.parquet", place.series))
    files += [
        *plan.campaign.result.write(out),
        _csv(out / "campaign_risk_exposure.csv", plan.campaign.risk.partner_exposure()),
    ]
    for station in plan.stations:
        tag = "" if station is plan.primary else f"_{station.location}"
        series_path = out / f"systems_series{tag}.parquet"
        station.systems.simulation.write_series(series_path)
        files.append(series_path)
        files.append(_csv(out / f"logistics_manifests{tag}.csv", station.logistics.table()))
        files.append(_csv(out / f"science_shares{tag}.csv", station.science.share_table()))
    summary = plan.summary()
    files.append(write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n"))
    report = Path(plan_report(plan, out / "report.html"))
    return RunResult(report, plan, summary, [Path(f) for f in files])


def run_scenario(
    out: Path,
    *,
    scenario=None,
    as_of=None,
    terrain=None,
    risk_runs: int = 10_000,
    risk_workers: int = 2,
    time_limit_s: float = 60.0,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Make the plan of ``scenario`` (default: the built-in ILRS reference) and write it.

    The science search gets at most :data:`SCIENCE_TIME_LIMIT_S` (measured on the ILRS
    reference: the window search's schedule at 5 s is the one at 15 s, every servable run
    placed).
    """
    from moonbase.spine import plan

    made = plan(
        scenario,
        as_of=as_of,
        terrain=terrain,
        risk_runs=risk_runs,
        risk_workers=risk_workers,
        campaign_time_limit_s=time_limit_s,
        science_time_limit_s=min(time_limit_s, SCIENCE_TIME_LIMIT_S),
        progress=progress,
    )
    return write_plan(made, out)


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False, float_format="%.6g")
    return path


def _parquet(path: Path, frame: pd.DataFrame) -> Path:
    with atomic_path(path) as temporary:
        frame.to_parquet(temporary)
    return path
