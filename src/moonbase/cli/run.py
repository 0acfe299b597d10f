"""``moonbase run``: the main job on the built-in ILRS reference scenario (or a scenario file)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from moonbase.errors import InputError
from moonbase.pipeline import run_scenario

console = Console()


def run(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and tables."),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Scenario TOML (default: the built-in ILRS reference)."
    ),
    dem: Path | None = typer.Option(
        None, "--dem", help="DEM for the site stage (default: a documented synthetic terrain)."
    ),
    dem_corner: str | None = typer.Option(
        None, "--dem-corner", help="x,y in metres of a .npy DEM's top-left outer corner."
    ),
    dem_pixel_m: float | None = typer.Option(None, "--dem-pixel-m", help="Pixel of a .npy DEM."),
    risk_runs: int = typer.Option(10_000, "--risk-runs", min=1, help="Monte Carlo runs."),
    workers: int = typer.Option(2, "--workers", min=0, help="Dask workers (0: in process)."),
) -> None:
    """Run every stage on a scenario and write an HTML report and tables under OUT."""
    loaded = None
    if scenario is not None:
        from moonbase.scenario import load_scenario

        loaded = load_scenario(scenario)
    corner = None
    if dem_corner is not None:
        try:
            x, y = (float(v) for v in dem_corner.split(","))
        except ValueError:
            raise InputError(
                f"cannot read {dem_corner!r} as x,y", field="--dem-corner", hint="e.g. -30000,15000"
            ) from None
        corner = (x, y)
    result = run_scenario(
        out,
        scenario=loaded,
        dem=dem,
        dem_corner_xy_m=corner,
        dem_pixel_m=dem_pixel_m,
        risk_runs=risk_runs,
        risk_workers=workers,
        console=console,
    )
    console.print(f"\nReport: [bold]{result.report_path}[/bold]")
    for path in result.files:
        console.print(f"  {path}")
