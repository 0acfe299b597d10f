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


def _spec(hint: str = "see `moonbase orbit analyse --help`", **values):
    from moonbase.orbit import OrbitNodeSpec

    clean = {k: v for k, v in values.items() if v is not None}
    try:
        return OrbitNodeSpec(**clean)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "--family"
        raise InputError(first["msg"], field=where, hint=hint) from None


@app.command("phases")
def phases(
    resonance: str = typer.Option("9:2", help="NRHO synodic resonance"),
    start: str = typer.Option("2030-01-01", help="UTC start"),
    stop: str = typer.Option("2031-01-01", help="UTC stop"),
    epoch: str = typer.Option("2030-01-01T00:00:00", help="UTC epoch of the phase"),
    count: int = typer.Option(120, help="number of phases to try (evenly spaced)"),
    step_s: float = typer.Option(600.0, "--step-s", help="sampling step, seconds"),
) -> None:
    """Longest eclipse of an NRHO for each phase at the epoch, the Earth's and the Moon's
    shadows apart (choose the phasing)."""
    from moonbase.orbit import eclipse_phase_scan

    if count < 1:
        raise InputError(f"must be at least 1, got {count}", field="--count")
    spec = _spec(
        family="nrho", resonance=resonance, epoch=epoch, hint="see `moonbase orbit phases --help`"
    )
    with Console().status("scanning phases..."):
        scan = eclipse_phase_scan(spec, start, stop, phases=count, step_s=step_s)
    table = Table(title=f"{resonance} NRHO: longest eclipse by phase ({start} to {stop})")
    table.add_column("phase (periods past apolune)")
    for column in (
        "longest eclipse, min",
        "Earth shadow, min",
        "Moon shadow, min",
        "Earth shadow clearance, deg",
    ):
        table.add_column(column, justify="right")
    for p, a, e, m, c in zip(
        scan.phases,
        scan.eclipse_max_min,
        scan.earth_eclipse_max_min,
        scan.moon_eclipse_max_min,
        scan.earth_clearance_deg,
        strict=True,
    ):
        table.add_row(f"{p:.4f}", f"{a:.1f}", f"{e:.1f}", f"{m:.1f}", f"{c:.3f}")
    Console().print(table)
    best = scan.best
    Console().print(
        f"best phase {scan.best_phase:.4f}: longest eclipse {scan.eclipse_max_min[best]:.1f} min"
    )


def _battery_text(eclipses, load_w, depth_of_discharge, round_trip_efficiency) -> str:
    from moonbase.orbit import battery_capacity_for_eclipse_wh

    et = np.array([eclipses.start_s, eclipses.stop_s])
    capacity = battery_capacity_for_eclipse_wh(
        load_w,
        et,
        eclipses.eclipses,
        depth_of_discharge=depth_of_discharge,
        round_trip_efficiency=round_trip_efficiency,
    )
    return f"{capacity / 1000.0:.2f} kWh"


@app.command("eclipses")
def eclipses(
    resonance: str = typer.Option("9:2", help="NRHO synodic resonance"),
    branch: str = typer.Option("south", help="NRHO branch: south or north"),
    start: str = typer.Option("2030-01-01", help="UTC start of the campaign"),
    stop: str = typer.Option("2040-01-01", help="UTC stop of the campaign"),
    epoch: str = typer.Option("2030-01-01T00:00:00", help="UTC epoch of the phase"),
    phase: float = typer.Option(0.0, help="fraction of a period past apolune at the epoch"),
    step_s: float = typer.Option(120.0, "--step-s", help="sampling step of the figures, s"),
    scan_phase: bool = typer.Option(
        False, "--scan-phase", help="choose the phase that minimises the longest eclipse"
    ),
    count: int = typer.Option(120, help="--scan-phase: number of phases to try"),
    scan_step_s: float = typer.Option(600.0, "--scan-step-s", help="--scan-phase: step, s"),
    load_w: float = typer.Option(None, "--load-w", help="size a battery for this load, W"),
    depth_of_discharge: float = typer.Option(0.8, help="battery depth of discharge, 0-1"),
    round_trip_efficiency: float = typer.Option(0.9, help="battery round-trip efficiency"),
) -> None:
    """Longest eclipses of an NRHO by year, the Earth's and the Moon's shadows apart; with
    --scan-phase, the phase chosen for the whole span; with --load-w, the battery for the
    longest eclipse."""
    from moonbase.orbit import eclipse_phase_scan, node_eclipses

    if load_w is not None and load_w < 0:
        raise InputError(f"must be >= 0 W, got {load_w}", field="--load-w")
    for name, value in (
        ("--depth-of-discharge", depth_of_discharge),
        ("--round-trip-efficiency", round_trip_efficiency),
    ):
        if not 0.0 < value <= 1.0:
            raise InputError(f"must be in (0, 1], got {value}", field=name)
    if scan_phase and count < 1:
        raise InputError(f"must be at least 1, got {count}", field="--count")
    spec = _spec(
        family="nrho",
        resonance=resonance,
        branch=branch,
        epoch=epoch,
        phase=phase,
        hint="see `moonbase orbit eclipses --help`",
    )
    console = Console()
    cases = [("given", spec)]
    with console.status("computing eclipses..."):
        if scan_phase:
            scan = eclipse_phase_scan(spec, start, stop, phases=count, step_s=scan_step_s)
            cases.append(("chosen", scan.best_spec()))
        results = [
            (name, node, node_eclipses(node, start, stop, step_s=step_s)) for name, node in cases
        ]
    columns = {
        "any shadow": ("eclipse_max_min", "any", False),
        "Earth": ("earth_eclipse_max_min", "earth", False),
        "Earth umbra": ("earth_umbra_max_min", "earth", True),
        "Moon": ("moon_eclipse_max_min", "moon", False),
        "Moon umbra": ("moon_umbra_max_min", "moon", True),
    }
    for name, node, ecl in results:
        table = Table(
            title=f"{resonance} NRHO {branch}, {name} phase {node.phase:.4f}: longest eclipse "
            f"by year, min"
        )
        table.add_column("year")
        for column in columns:
            table.add_column(column, justify="right")
        for year, row in ecl.by_year().items():
            table.add_row(str(year), *(f"{row[key]:.1f}" for key, _, _ in columns.values()))
        table.add_row(
            "all",
            *(f"{ecl.longest_min(body, umbra=umbra):.1f}" for _, body, umbra in columns.values()),
        )
        console.print(table)
    if scan_phase:
        given, chosen = results[0][2], results[1][2]
        console.print(
            f"chosen phase {scan.best_phase:.4f} (of {scan.phases.size} tried): longest eclipse "
            f"{chosen.longest_min():.1f} min (Earth {chosen.longest_min('earth'):.1f}, Moon "
            f"{chosen.longest_min('moon'):.1f}), passing the Earth's penumbra by "
            f"{chosen.clearance_deg['earth']:.3f} deg at the closest; given phase "
            f"{spec.phase:.4f}: {given.longest_min():.1f} min"
        )
    if load_w is not None:
        for name, node, ecl in results:
            battery = _battery_text(ecl, load_w, depth_of_discharge, round_trip_efficiency)
            console.print(
                f"battery for {load_w:.0f} W through the longest eclipse ({name} phase "
                f"{node.phase:.4f}, {ecl.longest_min():.1f} min, DoD {depth_of_discharge:g}, "
                f"round trip {round_trip_efficiency:g}): {battery}"
            )


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
