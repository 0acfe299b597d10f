"""``moonbase sky``: Sun and Earth above a lunar site over a span of time."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from moonbase.ephemeris.summary import SkySummary, sky_summary
from moonbase.ephemeris.topocentric import check_site
from moonbase.errors import InputError, OutOfRangeError
from moonbase.io import atomic_path
from moonbase.time import time_range

console = Console()


def sky(
    lat: float = typer.Option(..., "--lat", help="Planetocentric latitude, degrees (-90 to 90)."),
    lon: float = typer.Option(..., "--lon", help="East longitude, degrees."),
    start: str = typer.Option(..., "--start", help="First time, UTC (YYYY-MM-DD[THH:MM])."),
    stop: str = typer.Option(..., "--stop", help="Last time, UTC."),
    step: str = typer.Option("1h", "--step", help="Time step: 10min, 1h, 1d ..."),
    height_m: float = typer.Option(0.0, "--height-m", help="Height above the 1737.4 km sphere."),
    csv: Path | None = typer.Option(None, "--csv", help="Write the time series as CSV here."),
    png: Path | None = typer.Option(None, "--png", help="Write an elevation plot (PNG) here."),
) -> None:
    """Summarise the Sun and Earth seen from a lunar site (flat horizon; DE421, MOON_ME)."""
    check_site(lat, lon, height_m, fields=("--lat", "--lon", "--height-m"))
    for option, path in (("--csv", csv), ("--png", png)):
        if path is not None and path.is_dir():
            raise InputError(
                f"{str(path)!r} is a folder",
                field=option,
                hint=f"give a file name, e.g. {path}/sky",
            )
    t = time_range(start, stop, step, fields=("--start", "--stop", "--step"))
    try:
        summary = sky_summary(t, lat, lon, height_m)
    except OutOfRangeError as error:
        raise OutOfRangeError(error.message, field="--start/--stop", hint=error.hint) from None
    print_summary(summary)
    if csv is not None:
        with atomic_path(csv) as temporary:
            summary.series.to_csv(temporary, float_format="%.6f")
        console.print(f"wrote {csv}")
    if png is not None:
        plot_elevations(summary, png)
        console.print(f"wrote {png}")


def print_summary(summary: SkySummary) -> None:
    """Print the per-body statistics as a rich table."""
    s = summary.series
    title = (
        f"Sky at {summary.latitude_deg:.3f} deg, {summary.longitude_deg:.3f} deg E, "
        f"{summary.height_m:g} m: {s.index[0]:%Y-%m-%d %H:%M} to {s.index[-1]:%Y-%m-%d %H:%M} "
        f"UTC, {len(s):,} epochs"
    )
    table = Table(title=title, title_justify="left")
    for column in ("body", "min elevation", "max elevation", "time above 0 deg", "any part above"):
        table.add_column(column, justify="right")
    for row in summary.table().itertuples():
        any_part = "" if row.body == "Earth" else f"{row.percent_any_part_above_0deg:.2f} %"
        table.add_row(
            row.body,
            f"{row.min_elevation_deg:.3f} deg",
            f"{row.max_elevation_deg:.3f} deg",
            f"{row.percent_above_0deg:.2f} %",
            any_part,
        )
    console.print(table)
    console.print("Flat horizon (no terrain); centre of each body; apparent positions (CN+S).")


def plot_elevations(summary: SkySummary, path: Path) -> None:
    """Sun and Earth elevation against time, written as PNG (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = summary.series
    fig, ax = plt.subplots(figsize=(10, 4), dpi=120)
    ax.plot(s.index, s["sun_elevation_deg"], color="#e0a100", lw=0.8, label="Sun")
    ax.plot(s.index, s["earth_elevation_deg"], color="#2a6fdb", lw=0.8, label="Earth")
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_ylabel("elevation above horizontal, deg")
    ax.set_title(
        f"{summary.latitude_deg:.3f} deg, {summary.longitude_deg:.3f} deg E (flat horizon)"
    )
    ax.legend(loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, format="png")
    plt.close(fig)
