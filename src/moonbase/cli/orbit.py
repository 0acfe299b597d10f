"""``moonbase orbit``: orbit-node options (NRHO, halo, LLO, ELFO) and what they offer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from moonbase.errors import InputError

app = typer.Typer(
    help="Lunar-orbit node: periodic orbits, eclipses, visibility, contact, delta-v, OEM.",
    no_args_is_help=True,
)


@app.command("points")
def points() -> None:
    """Earth-Moon Lagrange points and their Jacobi constants (CR3BP)."""
    from moonbase.orbit import EARTH_MOON, jacobi_constant, lagrange_points

    table = Table(title=f"Earth-Moon CR3BP, mu = {EARTH_MOON.mu:.12g}")
    for column in ("point", "x", "y", "Jacobi C"):
        table.add_column(column)
    for name, pos in lagrange_points(EARTH_MOON.mu).items():
        c = jacobi_constant(np.concatenate([pos, np.zeros(3)]), EARTH_MOON.mu)
        table.add_row(name, f"{pos[0]:.9f}", f"{pos[1]:.9f}", f"{c:.9f}")
    Console().print(table)


def _spec(**values):
    from moonbase.orbit import OrbitNodeSpec

    clean = {k: v for k, v in values.items() if v is not None}
    try:
        return OrbitNodeSpec(**clean)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "--family"
        raise InputError(
            first["msg"], field=where, hint="see `moonbase orbit analyse --help`"
        ) from None


@app.command("phases")
def phases(
    resonance: str = typer.Option("9:2", help="NRHO synodic resonance"),
    start: str = typer.Option("2030-01-01", help="UTC start"),
    stop: str = typer.Option("2031-01-01", help="UTC stop"),
    epoch: str = typer.Option("2030-01-01T00:00:00", help="UTC epoch of the phase"),
    count: int = typer.Option(12, help="number of phases to try"),
) -> None:
    """Longest eclipse of an NRHO for each phase at the epoch (choose the phasing)."""
    from moonbase.orbit.analysis import phase_scan

    spec = _spec(family="nrho", resonance=resonance, epoch=epoch)
    with Console().status("scanning phases..."):
        values, longest = phase_scan(spec, start, stop, phases=count)
    table = Table(title=f"{resonance} NRHO: longest eclipse by phase ({start} to {stop})")
    table.add_column("phase (periods past apolune)")
    table.add_column("longest eclipse, min", justify="right")
    for p, m in zip(values, longest, strict=True):
        table.add_row(f"{p:.3f}", f"{m:.1f}")
    Console().print(table)
    best = int(np.argmin(longest))
    Console().print(f"best phase {values[best]:.3f}: longest eclipse {longest[best]:.1f} min")


@app.command("analyse")
def analyse(
    family: str = typer.Argument(..., help="nrho | halo | llo | elfo"),
    start: str = typer.Option("2030-01-01", help="UTC start"),
    stop: str = typer.Option("2031-01-01", help="UTC stop"),
    step_s: float = typer.Option(60.0, "--step-s", help="sampling step, seconds"),
    epoch: str = typer.Option("2030-01-01T00:00:00", help="UTC epoch of the orbit phase"),
    phase: float = typer.Option(0.0, help="fraction of a period past apolune/periapsis at epoch"),
    resonance: str = typer.Option("9:2", help="NRHO synodic resonance"),
    branch: str = typer.Option("south", help="NRHO/halo branch: south or north"),
    z_amplitude_km: float = typer.Option(None, help="halo: z amplitude, km"),
    altitude_km: float = typer.Option(None, help="llo: altitude, km"),
    periapsis_km: float = typer.Option(None, help="elfo: periapsis altitude, km"),
    apoapsis_km: float = typer.Option(None, help="elfo: apoapsis altitude, km"),
    inclination_deg: float = typer.Option(
        None, help="llo/elfo inclination (elfo: frozen if omitted)"
    ),
    site_lat: float = typer.Option(-89.45, help="surface site latitude, deg"),
    site_lon: float = typer.Option(222.69, help="surface site longitude east, deg"),
    mask_deg: float = typer.Option(10.0, help="site elevation mask, deg"),
    out: Path = typer.Option(None, help="folder for plots (orbit.html, timeline.png) and OEM"),
) -> None:
    """Eclipses, Earth visibility, site contact and delta-v of one orbit option."""
    from moonbase.orbit import analyse_orbit, node_delta_v_budget, node_periapsis, orbit_states
    from moonbase.orbit.oem import write_oem
    from moonbase.orbit.plots import orbit_3d_html, timeline_png

    spec = _spec(
        family=family,
        epoch=epoch,
        phase=phase,
        resonance=resonance,
        branch=branch,
        z_amplitude_km=z_amplitude_km,
        altitude_km=altitude_km,
        periapsis_altitude_km=periapsis_km,
        apoapsis_altitude_km=apoapsis_km,
        inclination_deg=inclination_deg,
    )
    console = Console()
    with console.status("computing the orbit and its geometry..."):
        report = analyse_orbit(
            spec, start, stop, step_s=step_s, site=(site_lat, site_lon, 0.0), mask_deg=mask_deg
        )
        r_p, v_p = node_periapsis(spec)
        budget = node_delta_v_budget(r_p, v_p)
    table = Table(title=f"orbit node: {family} ({start} to {stop})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in report.summary().items():
        table.add_row(key, f"{value:.2f}")
    table.add_row("periapsis_radius_km", f"{r_p:.0f}")
    for key, value in budget.items():
        table.add_row(f"dv_{key}" if not key.startswith("v_") else key, f"{value:.3f}")
    console.print(table)
    if out is not None:
        n = min(20_000, int(report.span_s / 600.0) + 2)
        et = np.linspace(report.start_s, report.stop_s, n)
        states = orbit_states(spec, et)
        write_oem(out / "orbit.oem", et, states, object_name=f"MOONBASE {family.upper()}")
        shown = et <= report.start_s + 30 * 86400.0
        orbit_3d_html(out / "orbit.html", states[:, shown], f"{family} node (first 30 days)")
        timeline_png(out / "timeline.png", report, f"{family}: eclipses and contact")
        console.print(f"wrote {out / 'orbit.oem'}, {out / 'orbit.html'}, {out / 'timeline.png'}")
