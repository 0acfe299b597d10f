"""``moonbase risk``: make the plan, then sample the whole plan under risk on Dask."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()


def risk(
    out: Path = typer.Option(Path("out-risk"), "--out", help="Folder for the report and tables."),
    runs: int = typer.Option(200, "--runs", min=1, help="Samples of the whole plan."),
    workers: int = typer.Option(2, "--workers", min=0, help="Dask local workers (0: in process)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same result)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler instead of local workers."
    ),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Scenario TOML (default: the built-in ILRS reference)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The plan's date, YYYY-MM-DD (default: today, UTC)."
    ),
    synthetic_terrain: bool = typer.Option(
        False, "--synthetic-terrain", help="Use the documented synthetic terrain (tests, demos)."
    ),
    campaign_runs: int = typer.Option(
        1_000, "--campaign-runs", min=1, help="Runs of the plan's own campaign Monte Carlo."
    ),
    time_limit_s: float = typer.Option(
        60.0, "--time-limit", min=1.0, help="The plan's campaign optimiser time limit, seconds."
    ),
) -> None:
    """Make the plan of a scenario, sample it whole under risk and write the results under OUT.

    Each sample draws launch failures and slips (campaign), component failures (the twin) and
    re-plans the science on the station it gets; OUT receives plan_risk.html, plan_risk.json
    and CSV tables.
    """
    from moonbase import spine
    from moonbase.site.stage import site_terrain
    from moonbase.study.montecarlo import plan_risk
    from moonbase.study.montecarlo_report import write_plan_risk

    loaded = None
    if scenario is not None:
        from moonbase.scenario import load_scenario

        loaded = load_scenario(scenario)
    terrain = site_terrain(synthetic=synthetic_terrain)
    if terrain.synthetic:
        console.print("[bold yellow]SYNTHETIC terrain:[/bold yellow] not a real place")
    with console.status("Planning ...") as status:
        made = spine.plan(
            loaded,
            as_of=as_of,
            terrain=terrain,
            risk_runs=campaign_runs,
            risk_workers=0,
            campaign_time_limit_s=time_limit_s,
            science_time_limit_s=min(time_limit_s, 15.0),
            progress=lambda stage: status.update(f"Planning: {stage} ..."),
        )
    with Progress(
        TextColumn("Whole plan under risk"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("samples", total=runs)
        result = plan_risk(
            made,
            runs=runs,
            workers=workers,
            seed=seed,
            scheduler_address=scheduler,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    station = result.summary()["station"]
    console.print(
        f"{result.n_runs:,} samples ({result.samples_per_s:.3g}/s): P(basic model by "
        f"{station['target']}) = {station['p_basic_model_by_target']:.3f}, P(critical energy "
        f"all served) = {station['p_critical_energy_served']:.3f}"
    )
    console.print(result.partner_table().round(3).to_string(index=False))
    for path in write_plan_risk(result, out):
        console.print(f"wrote {path}")
