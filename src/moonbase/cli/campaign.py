"""``moonbase campaign plan|risk``: optimise the construction campaign and sample its risk."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from moonbase.errors import InputError

console = Console()
app = typer.Typer(
    help="Plan the construction campaign (CP-SAT + greedy) and its launch/slip risk (Monte Carlo).",
    no_args_is_help=True,
)

_SCENARIO = typer.Option(
    None, "--scenario", help="Scenario TOML file (default: the built-in ILRS reference)."
)
_INSTANCE = typer.Option(
    None, "--instance", help="A CampaignInstance JSON file instead of a scenario."
)
_AS_OF = typer.Option(
    None,
    "--as-of",
    help="The plan's date, YYYY-MM-DD (default: today, UTC): earlier flights are history and "
    "nothing launches before it. Scenarios only.",
)


def _load(scenario: Path | None, instance: Path | None, as_of: str | None = None):
    from moonbase.campaign.adapter import instance_from_scenario
    from moonbase.campaign.model import CampaignInstance, check_instance

    if scenario is not None and instance is not None:
        raise InputError("give --scenario or --instance, not both", field="--instance")
    if instance is not None:
        if not instance.is_file():
            raise InputError(f"file {instance} not found", field="--instance")
        try:
            loaded = CampaignInstance.model_validate_json(instance.read_text(encoding="utf-8"))
            check_instance(loaded)
            return loaded
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(
                f"{instance}: {where}: {first['msg']}",
                field="--instance",
                hint="see moonbase.campaign.CampaignInstance for the fields",
            ) from None
    from moonbase.scenario import builtin_scenario, load_scenario
    from moonbase.spine import check_as_of

    with console.status("Scenario and landing-daylight calendar ..."):
        source = load_scenario(scenario) if scenario is not None else builtin_scenario()
        day = check_as_of(source, as_of)
        loaded = instance_from_scenario(source, as_of=day)
    console.print(
        f"Plan as of {day}. Landing daylight: flat horizon at the scenario's site "
        "(`moonbase run` uses the station cell's terrain horizon)."
    )
    return loaded


def _objectives(values: list[str] | None) -> list[str] | None:
    from moonbase.campaign.model import OBJECTIVES

    for name in values or []:
        if name not in OBJECTIVES:
            raise InputError(
                f"unknown objective {name!r}",
                field="--objective",
                hint=f"choose from {', '.join(OBJECTIVES)}",
            )
    return values or None


def _plan(scenario, instance, objective, time_limit_s, workers, as_of=None):
    from moonbase.campaign import optimise_campaign

    if time_limit_s <= 0:
        raise InputError(f"must be > 0, got {time_limit_s}", field="--time-limit")
    if workers < 1:
        raise InputError(f"must be >= 1, got {workers}", field="--workers")
    if instance is not None and as_of is not None:
        raise InputError("--as-of applies to scenarios, not instances", field="--as-of")
    inst = _load(scenario, instance, as_of)
    objectives = _objectives(objective)
    with console.status(
        f"CP-SAT on {len(inst.scheduled())} elements (limit {time_limit_s:g} s) ..."
    ):
        return optimise_campaign(
            inst, time_limit_s=time_limit_s, objectives=objectives, workers=workers
        )


def _print_result(result) -> None:
    table = Table(
        title=f"Campaign {result.instance.name}: status {result.status}", title_justify="left"
    )
    for column in ("objective", "optimised", "greedy", "CP-SAT bound", "gap", "status"):
        table.add_column(column, justify="right")
    for row in result.summary().itertuples():
        gap = "" if row.gap is None or row.gap != row.gap else f"{row.gap:.2%}"
        bound = "" if row.bound is None or row.bound != row.bound else f"{row.bound:g}"
        table.add_row(
            row.objective, f"{row.optimised:g}", f"{row.greedy:g}", bound, gap, str(row.status)
        )
    console.print(table)
    plan = result.table()
    shown = plan[["element", "partner", "flight", "launch_date", "operating_date"]].copy()
    console.print(shown.to_string(index=False))
    console.print(
        f"basic model complete: {result.completion_date()} "
        f"(greedy: {result.completion_date(result.greedy)}); {result.wall_s:.1f} s"
    )
    if result.violations:  # pragma: no cover - would be a bug
        console.print("[red]plan violates:[/red] " + "; ".join(result.violations))


@app.command("plan")
def plan(
    scenario: Path | None = _SCENARIO,
    instance: Path | None = _INSTANCE,
    objective: list[str] | None = typer.Option(
        None,
        "--objective",
        help="Objective, repeat for a lexicographic order: "
        "earliest_basic_model, max_capability_by_date, least_cost, earliest_launches.",
    ),
    time_limit_s: float = typer.Option(30.0, "--time-limit", help="CP-SAT time limit, seconds."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT search workers."),
    out: Path | None = typer.Option(None, "--out", help="Folder for CSV/JSON and the Gantt HTML."),
    as_of: str | None = _AS_OF,
) -> None:
    """Optimise who flies what, when (greedy baseline + CP-SAT) and print the plan."""
    result = _plan(scenario, instance, objective, time_limit_s, workers, as_of)
    _print_result(result)
    if out is not None:
        from moonbase.io import write_text_atomic

        paths = result.write(out)
        paths.append(
            write_text_atomic(
                out / "campaign_gantt.html", result.gantt().to_html(include_plotlyjs="cdn")
            )
        )
        for path in paths:
            console.print(f"wrote {path}")


@app.command("risk")
def risk(
    scenario: Path | None = _SCENARIO,
    instance: Path | None = _INSTANCE,
    runs: int = typer.Option(10_000, "--runs", help="Monte Carlo runs."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same result)."),
    workers: int = typer.Option(2, "--workers", help="Dask local workers (0: no Dask)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    time_limit_s: float = typer.Option(30.0, "--time-limit", help="CP-SAT time limit, seconds."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the risk JSON/CSV/HTML."),
    as_of: str | None = _AS_OF,
) -> None:
    """Plan, then sample launch failures and slips with re-flights; print the risk summary."""
    from moonbase.campaign.risk import monte_carlo

    if runs < 1:
        raise InputError(f"must be >= 1, got {runs}", field="--runs")
    if workers < 0:
        raise InputError(f"must be >= 0, got {workers}", field="--workers")
    result = _plan(scenario, instance, None, time_limit_s, 2, as_of)
    console.print(f"plan: basic model complete {result.completion_date()} ({result.status})")
    with Progress(
        TextColumn("Monte Carlo"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("runs", total=runs)
        mc = monte_carlo(
            result.instance,
            result.plan,
            n_runs=runs,
            seed=seed,
            n_workers=workers,
            scheduler_address=scheduler,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    summary = mc.summary()
    table = Table(title="Basic-model completion risk", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(mc.partner_exposure().round(3).to_string(index=False))
    if out is not None:
        import json

        from moonbase.io import atomic_path, write_text_atomic

        paths = [write_text_atomic(out / "risk_summary.json", json.dumps(summary, indent=2))]
        with atomic_path(out / "risk_partners.csv") as temporary:
            mc.partner_exposure().to_csv(temporary, index=False)
        paths.append(out / "risk_partners.csv")
        paths.append(
            write_text_atomic(out / "risk.html", mc.figure().to_html(include_plotlyjs="cdn"))
        )
        for path in paths:
            console.print(f"wrote {path}")
