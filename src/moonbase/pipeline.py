"""The main job: every stage on one scenario, written up as a report.

``moonbase run`` (and ``make run``) call :func:`run_reference` on the built-in ILRS reference
scenario. Each stage adds a section to the report and its tables to the output folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go
from rich.console import Console

from moonbase.ephemeris.summary import SkySummary, sky_summary
from moonbase.io import atomic_path
from moonbase.report import Section, write_report
from moonbase.time import time_range

__all__ = ["REFERENCE_SITE", "RunResult", "environment_section", "run_reference"]

#: The reference site: the Connecting Ridge between Shackleton and de Gerlache craters.
REFERENCE_SITE = {"name": "Connecting Ridge", "latitude_deg": -89.45, "longitude_deg": 222.69}


@dataclass
class RunResult:
    """Where the main job wrote its outputs."""

    report_path: Path
    files: list[Path] = field(default_factory=list)


def environment_section(summary: SkySummary) -> Section:
    """Report section for the Sun and Earth at the site over a flat horizon."""
    s = summary.series
    figure = go.Figure()
    figure.add_scatter(x=s.index, y=s["sun_elevation_deg"], name="Sun", line={"color": "#e0a100"})
    figure.add_scatter(
        x=s.index, y=s["earth_elevation_deg"], name="Earth", line={"color": "#2a6fdb"}
    )
    figure.add_hline(y=0.0, line_width=1)
    figure.update_layout(
        yaxis_title="elevation above horizontal, deg", height=380, margin={"t": 30, "b": 40}
    )
    table = summary.table().round(3)
    return Section(
        "Environment: Sun and Earth at the site",
        paragraphs=[
            f"Site {summary.latitude_deg:.2f} deg, {summary.longitude_deg:.2f} deg E, "
            f"{len(s):,} hourly epochs from {s.index[0]:%Y-%m-%d} to {s.index[-1]:%Y-%m-%d}. "
            "DE421 with the DE421 lunar orientation (MOON_ME frame), apparent positions "
            "(light time and stellar aberration). Flat horizon: terrain is in the site section.",
        ],
        tables=[table],
        figures=[figure],
    )


def run_reference(out: Path, *, console: Console | None = None) -> RunResult:
    """Run the reference scenario and write the report and tables under ``out``."""
    console = console or Console()
    out = Path(out)
    files: list[Path] = []
    sections: list[Section] = []

    with console.status("Environment: Sun and Earth at the reference site ..."):
        t = time_range("2030-01-01", "2031-01-01", "1h")
        site = REFERENCE_SITE
        summary = sky_summary(t, site["latitude_deg"], site["longitude_deg"])
    console.print(f"[bold]Environment[/bold] at {site['name']}:")
    console.print(summary.table().round(3).to_string(index=False))
    sections.append(environment_section(summary))
    csv_path = out / "environment.csv"
    with atomic_path(csv_path) as temporary:
        summary.series.to_csv(temporary, float_format="%.6f")
    files.append(csv_path)

    report_path = write_report(
        out / "report.html",
        "moonbase: ILRS reference scenario",
        sections,
        subtitle="Built-in reference scenario.",
    )
    return RunResult(Path(report_path), files)
