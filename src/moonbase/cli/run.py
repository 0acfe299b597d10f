"""``moonbase run``: the main job on the built-in ILRS reference scenario (or a scenario file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

console = Console()

_STAGES = {
    "site": "Site: horizons on the terrain, ranking the cells, the chosen cell's light ...",
    "orbit": "Orbit node: the phase for the whole campaign, eclipses by the Earth and the Moon ...",
    "campaign": "Campaign: greedy baseline, CP-SAT and the Monte Carlo risk ...",
    "systems": "Systems and logistics: the station hour by hour, manifests on the flights ...",
    "closure": "Closure: does the station survive and its stores hold; fixing and re-planning ...",
    "science": "Science: partners' experiments against the station's resources ...",
    "systems with science": "Systems again, with the science schedule on board ...",
}


def run(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and tables."),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Scenario TOML (default: the built-in ILRS reference)."
    ),
    builtin: str | None = typer.Option(
        None,
        "--builtin",
        help="A built-in scenario by name instead (ilrs-reference, ilrs-orbital-node).",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="The plan's date, YYYY-MM-DD (default: today, UTC). Earlier flights are history; "
        "nothing launches before it.",
    ),
    dem: Path | None = typer.Option(
        None, "--dem", help="DEM for the site stage (default: the packaged LOLA-derived DEM)."
    ),
    dem_corner: str | None = typer.Option(
        None, "--dem-corner", help="x,y in metres of a .npy DEM's top-left outer corner."
    ),
    dem_pixel_m: float | None = typer.Option(None, "--dem-pixel-m", help="Pixel of a .npy DEM."),
    far_field: bool = typer.Option(
        True, "--far-field/--no-far-field", help="Surround the DEM with the global far field."
    ),
    synthetic_terrain: bool = typer.Option(
        False, "--synthetic-terrain", help="Use the documented synthetic terrain (tests, demos)."
    ),
    risk_runs: int = typer.Option(10_000, "--risk-runs", min=1, help="Monte Carlo runs."),
    workers: int = typer.Option(
        0,
        "--workers",
        min=0,
        help="Dask workers for the campaign's Monte Carlo (0: in this process; its 10,000 runs "
        "take a tenth of a second there, less than a local cluster takes to start).",
    ),
) -> None:
    """Make the plan of a scenario and write an HTML report, summary.json and tables under OUT."""
    from moonbase.cli.site import _parse_corner
    from moonbase.pipeline import run_scenario
    from moonbase.site.stage import site_terrain

    loaded = None
    if scenario is not None and builtin is not None:
        from moonbase.errors import InputError

        raise InputError(
            "give --scenario or --builtin, not both", field="--builtin", hint="drop one of them"
        )
    if scenario is not None:
        from moonbase.scenario import load_scenario

        loaded = load_scenario(scenario)
    elif builtin is not None:
        from moonbase.scenario import builtin_scenario

        loaded = builtin_scenario(builtin)
    terrain = site_terrain(
        dem,
        corner_xy_m=_parse_corner(dem_corner),
        pixel_m=dem_pixel_m,
        far_field=far_field,
        synthetic=synthetic_terrain,
    )
    if terrain.missing:
        console.print(f"[bold yellow]warning:[/bold yellow] {terrain.missing}")
    if terrain.synthetic:
        console.print("[bold yellow]SYNTHETIC terrain:[/bold yellow] not a real place")
    with console.status("Planning ...") as status:
        result = run_scenario(
            out,
            scenario=loaded,
            as_of=as_of,
            terrain=terrain,
            risk_runs=risk_runs,
            risk_workers=workers,
            progress=lambda stage: status.update(_STAGES.get(stage, stage)),
        )
    print_summary(result.summary)
    console.print(f"\nReport: [bold]{result.report_path}[/bold]")
    for path in result.files:
        console.print(f"  {path}")


def print_summary(summary: dict) -> None:
    """The plan's headline as rich tables (numbers to four significant figures)."""
    console.print(
        f"\n[bold]Plan of {summary['scenario']} as of {summary['as_of']}[/bold] "
        f"({summary['runtime_s']:.0f} s); terrain: {summary['terrain']['source']}"
    )
    for part in ("site", "campaign", "systems"):
        frame = pd.DataFrame(
            {"quantity": list(summary[part]), "value": list(summary[part].values())}
        )
        _print_frame(frame, part.capitalize())
    logistics = summary.get("logistics")
    if logistics:
        manifested = ", ".join(
            f"{kg:,.0f} kg {key}" for key, kg in logistics["manifested_kg"].items() if kg > 0
        )
        short = len(logistics["shortfalls"]) + len(logistics["stock_shortfalls"])
        console.print(
            f"Logistics: {logistics['flights_with_manifests']} of {logistics['carriers']} flights "
            f"to the station carry manifests ({manifested or 'nothing'}); "
            + (f"{short} stores short" if short else "every store holds its reserve")
        )
    orbit = summary.get("orbit")
    if orbit:
        console.print(
            f"Orbit node {orbit['name']} ({orbit['family']}): phase {orbit['phase']:.4f} chosen "
            f"for the span, longest eclipse {orbit['eclipse_max_min']:.1f} min (Earth's shadow "
            f"{orbit['earth_eclipse_max_min']:.1f}, Moon's {orbit['moon_eclipse_max_min']:.1f}); "
            f"{100 * orbit['delivered_fraction']:.1f} % of TLI mass reaches it"
        )
    closure = summary["closure"]
    console.print(
        f"Closure: {'closed' if closure['closed'] else 'NOT closed'} after "
        f"{closure['iterations']} fixes"
        + "".join(f"; {f['fix']} {f['element']}" for f in closure["fixes"])
        + "".join(f"; unmet {u['need']} {u['amount']:,.1f} {u['unit']}" for u in closure["unmet"])
    )
    science = summary["science"]
    shares = pd.DataFrame(science["shares"]).T.reset_index(names="partner")
    _print_frame(
        shares, f"Science: {science['runs']} runs, value {science['value']:,.1f}; shares in %"
    )


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    console.print(table)


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)
