"""``moonbase simulate``: run the station systems digital twin, size storage or generation.

The site's light and Earth visibility come from its terrain horizon: by default the packaged real
DEM (:func:`moonbase.terrain.reference_dem`) with the far field around it, or ``--dem``. A level
horizon (no terrain) is used only when asked for with ``--flat-horizon``, with a loud warning.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from moonbase.errors import InputError
from moonbase.io import write_text_atomic

app = typer.Typer(
    help="Station systems digital twin: power, thermal, life support, ISRU, comms.",
    no_args_is_help=True,
)
console = Console()
warn = Console(stderr=True)

_STATION = typer.Option(
    None, "--station", help="Station file (TOML or JSON); default: the built-in reference station."
)
_LAT = typer.Option(-89.45, "--lat", help="Site latitude, degrees.")
_LON = typer.Option(222.69, "--lon", help="Site east longitude, degrees.")
_START = typer.Option("2030-01-01", "--start", help="First time, UTC.")
_STOP = typer.Option("2031-01-01", "--stop", help="Last time, UTC.")
_STEP = typer.Option("1h", "--step", help="Time step (1h default).")
_HORIZON = typer.Option(
    None,
    "--horizon-deg",
    help="With --flat-horizon: the level horizon's elevation, degrees (default -1.5, a polar "
    "ridge about 600 m above its surroundings; 0 for flat ground).",
)
#: The level horizon of ``--flat-horizon`` when ``--horizon-deg`` is not given.
FLAT_HORIZON_DEG = -1.5
_FLAT = typer.Option(
    False,
    "--flat-horizon",
    help="No terrain: a level horizon at --horizon-deg all around (a rough stand-in).",
)
_DEM = typer.Option(
    None,
    "--dem",
    help="DEM for the site's horizon (LOLA .LBL/.IMG, GeoTIFF, .npy); default: the packaged "
    "LOLA-derived 200 m DEM of Shackleton and the Connecting Ridge.",
)
_CORNER = typer.Option(
    None, "--dem-corner", help="For a .npy DEM: X,Y (m) of the top-left pixel's outer corner."
)
_PIXEL = typer.Option(None, "--dem-pixel-m", help="For a .npy DEM: pixel size (m).")
_FAR = typer.Option(
    None,
    "--far-field/--no-far-field",
    help="Terrain 300 km around the DEM from the global grid (default: on when installed).",
)
_MAST = typer.Option(2.0, "--height-m", help="Height of the arrays and antennas above ground, m.")
_CREW = typer.Option(0.0, "--crew", help="Crew on board, whole run.")
_RELAY = typer.Option(0.0, "--relay", help="Relay availability, 0..1 (fraction of each step).")


def _station(path: Path | None):
    from moonbase.systems import load_station, reference_station

    return reference_station() if path is None else load_station(path)


def _drivers(
    lat,
    lon,
    start,
    stop,
    step,
    horizon_deg,
    crew,
    relay,
    *,
    flat_horizon=False,
    dem=None,
    dem_corner=None,
    dem_pixel_m=None,
    far_field=None,
    height_m=2.0,
):
    """The twin's drivers at the site: terrain horizon by default, a level one when asked."""
    from moonbase.systems import flat_horizon_drivers

    if crew < 0:
        raise InputError(f"must be >= 0, got {crew}", field="--crew")
    if not 0 <= relay <= 1:
        raise InputError(f"must be in [0, 1], got {relay}", field="--relay")
    if flat_horizon:
        if dem is not None:
            raise InputError(
                "a DEM and a flat horizon were both asked for",
                field="--flat-horizon",
                hint="drop --dem or --flat-horizon",
            )
        level = FLAT_HORIZON_DEG if horizon_deg is None else float(horizon_deg)
        warn.print(
            f"[bold red]WARNING: level horizon at {level:g} deg all around, no terrain[/bold red]: "
            "the Sun, the Earth and the length of nights are rough guesses; drop --flat-horizon "
            "for the terrain horizon"
        )
        return flat_horizon_drivers(
            lat, lon, start, stop, step, horizon_deg=level, crew=crew, relay_available=relay
        )
    if horizon_deg is not None:
        raise InputError(
            "a level horizon is used only with --flat-horizon",
            field="--horizon-deg",
            hint="add --flat-horizon, or drop --horizon-deg for the terrain horizon",
        )
    from moonbase.cli.site import point_summary
    from moonbase.systems import drivers_from_site_series

    summary = point_summary(
        lat,
        lon,
        start,
        stop,
        step,
        height_m=height_m,
        dem=dem,
        dem_corner=dem_corner,
        dem_pixel_m=dem_pixel_m,
        far_field=far_field,
    )
    console.print(
        f"site horizon at {height_m:g} m: lit {summary.lit_percent:.2f} %, longest darkness "
        f"{summary.longest_dark_hours:.0f} h, Earth in view {summary.earth_visible_percent:.1f} %"
    )
    return drivers_from_site_series(summary.series, crew=crew, relay_available=relay)


def _print_kpis(kpis: dict, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in kpis.items():
        table.add_row(key, f"{value:,.6g}" if isinstance(value, float) else f"{value:,}")
    console.print(table)


@app.command("run")
def run(
    station: Path | None = _STATION,
    lat: float = _LAT,
    lon: float = _LON,
    start: str = _START,
    stop: str = _STOP,
    step: str = _STEP,
    horizon_deg: float | None = _HORIZON,
    flat_horizon: bool = _FLAT,
    dem: Path | None = _DEM,
    dem_corner: str | None = _CORNER,
    dem_pixel_m: float | None = _PIXEL,
    far_field: bool | None = _FAR,
    height_m: float = _MAST,
    crew: float = _CREW,
    relay: float = _RELAY,
    failures: bool = typer.Option(False, "--failures", help="Draw random failures (MTBF)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the failure draws."),
    out: Path | None = typer.Option(None, "--out", help="Write the series (.parquet or .csv)."),
    kpis_json: Path | None = typer.Option(None, "--kpis-json", help="Write the KPIs as JSON."),
    html: Path | None = typer.Option(None, "--html", help="Write the figures as one HTML page."),
) -> None:
    """Simulate a station at a site (terrain horizon) and print its KPIs and balances."""
    from moonbase.systems import simulate_station

    if out is not None and out.suffix.lower() not in (".parquet", ".csv"):
        raise InputError(
            f"cannot tell the format of {out.name!r}",
            field="--out",
            hint="end the file name with .parquet or .csv",
        )
    model = _station(station)
    with console.status("computing the horizon, Sun and Earth over the span"):
        drivers = _drivers(
            lat,
            lon,
            start,
            stop,
            step,
            horizon_deg,
            crew,
            relay,
            flat_horizon=flat_horizon,
            dem=dem,
            dem_corner=dem_corner,
            dem_pixel_m=dem_pixel_m,
            far_field=far_field,
            height_m=height_m,
        )
    with console.status(f"simulating {len(drivers):,} steps"):
        result = simulate_station(model, drivers, failures=failures, seed=seed)
    _print_kpis(result.kpis, f"{model.name}: {len(drivers):,} steps at {lat:g}, {lon:g}")
    worst = result.kpis["max_balance_relative_residual"]
    console.print(f"conservation: largest relative residual {worst:.2e} (energy, heat, mass, data)")
    if out is not None:
        result.write_series(out)
        console.print(f"wrote {out}")
    if kpis_json is not None:
        write_text_atomic(kpis_json, json.dumps(result.kpis, indent=2))
        console.print(f"wrote {kpis_json}")
    if html is not None:
        parts = [
            f.to_html(full_html=False, include_plotlyjs=i == 0)
            for i, f in enumerate(result.figures().values())
        ]
        write_text_atomic(html, "<html><body>" + "\n".join(parts) + "</body></html>")
        console.print(f"wrote {html}")


@app.command("size")
def size(
    component: str = typer.Option(..., "--component", help="Name of the component to size."),
    margin: float = typer.Option(0.2, "--margin", help="Margin on the minimum (0.2 = 20 %)."),
    station: Path | None = _STATION,
    lat: float = _LAT,
    lon: float = _LON,
    start: str = _START,
    stop: str = _STOP,
    step: str = _STEP,
    horizon_deg: float | None = _HORIZON,
    flat_horizon: bool = _FLAT,
    dem: Path | None = _DEM,
    dem_corner: str | None = _CORNER,
    dem_pixel_m: float | None = _PIXEL,
    far_field: bool | None = _FAR,
    height_m: float = _MAST,
    crew: float = _CREW,
    relay: float = _RELAY,
) -> None:
    """Smallest battery, RFC, array or reactor that keeps the survival loads served."""
    from moonbase.systems import size_component

    model = _station(station)
    drivers = _drivers(
        lat,
        lon,
        start,
        stop,
        step,
        horizon_deg,
        crew,
        relay,
        flat_horizon=flat_horizon,
        dem=dem,
        dem_corner=dem_corner,
        dem_pixel_m=dem_pixel_m,
        far_field=far_field,
        height_m=height_m,
    )
    with console.status(f"bisecting on {component}"):
        result = size_component(model, drivers, component, margin=margin)
    console.print(
        f"{result.component}.{result.parameter}: minimum {result.minimum:,.1f}, "
        f"with {100 * margin:g} % margin {result.with_margin:,.1f} "
        f"({result.simulations} simulations; longest darkness "
        f"{_longest_dark_h(drivers):g} h)"
    )


def _longest_dark_h(drivers) -> float:
    from moonbase.systems.simulate import _runs_h

    return _runs_h(drivers.sun_fraction <= 0.0, drivers.step_h)


@app.command("example")
def example(path: Path = typer.Argument(..., help="Where to write the station (JSON).")) -> None:
    """Write the built-in reference station as a JSON file to edit."""
    from moonbase.systems import reference_station

    data = reference_station().model_dump(mode="json")
    write_text_atomic(path, json.dumps(data, indent=2))
    console.print(f"wrote {path}")
