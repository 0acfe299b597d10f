"""The main job: every stage on one scenario, written up as a report.

``moonbase run`` (and ``make run``) call :func:`run_scenario` on the built-in ILRS reference
scenario: scenario -> environment -> site -> campaign (plan and risk) -> systems -> report.
Each stage calls the library's own functions, adds a section to the report and writes its tables
to the output folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from rich.console import Console

from moonbase.ephemeris.summary import SkySummary, sky_summary
from moonbase.errors import InputError
from moonbase.io import atomic_path, write_text_atomic
from moonbase.report import Section, write_report
from moonbase.time import time_range

__all__ = ["RunResult", "environment_section", "run_scenario"]

#: Horizon azimuths, mast height and search radius for the site stage of the main job.
SITE_AZIMUTHS = 360
SITE_MAST_M = 2.0
SITE_SEARCH_KM = 5.0


@dataclass
class RunResult:
    """Where the main job wrote its outputs, and its headline numbers."""

    report_path: Path
    files: list[Path] = field(default_factory=list)
    headline: dict = field(default_factory=dict)


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
    return Section(
        "Environment: Sun and Earth at the site",
        paragraphs=[
            f"Site {summary.latitude_deg:.2f} deg, {summary.longitude_deg:.2f} deg E, "
            f"{len(s):,} hourly epochs from {s.index[0]:%Y-%m-%d} to {s.index[-1]:%Y-%m-%d}. "
            "DE421 with the DE421 lunar orientation (MOON_ME frame), apparent positions "
            "(light time and stellar aberration). Flat horizon: terrain is in the site section.",
        ],
        tables=[summary.table().round(3)],
        figures=[figure],
    )


def _scenario_section(scenario) -> Section:
    rows = [
        {
            "element": e.id,
            "partner": e.partner,
            "role": e.role,
            "landed_kg": e.landed_mass_kg,
            "state": e.state,
            "provenance": e.provenance,
        }
        for e in scenario.elements
    ]
    return Section(
        f"Scenario: {scenario.name}",
        paragraphs=[
            scenario.description.strip() or "(no description)",
            f"{len(scenario.partners)} partners, {len(scenario.launchers)} launchers, "
            f"{len(scenario.elements)} elements, campaign {scenario.campaign.start} to "
            f"{scenario.campaign.end}. Provenance: announced and reported facts carry their "
            "source; notional figures are derived (see the scenario file).",
        ],
        tables=[pd.DataFrame(rows)],
    )


def _site_terrain(site, dem: Path | None, corner_xy_m, pixel_m):
    """The terrain for the site stage: the DEM given, else a synthetic terrain about the site."""
    from moonbase.site.terrain_link import SYNTHETIC_TERRAIN, load_terrain
    from moonbase.terrain import synthetic_terrain
    from moonbase.terrain.projection import xy_of_latlon

    if dem is not None:
        terrain, description = load_terrain(dem, corner_xy_m=corner_xy_m, pixel_m=pixel_m)
        return terrain, description
    x, y = xy_of_latlon(site.latitude_deg, site.longitude_deg)
    spec = SYNTHETIC_TERRAIN
    terrain = synthetic_terrain(
        spec["shape"], spec["pixel_size_m"], seed=spec["seed"], center_xy_m=(float(x), float(y))
    )
    rows, cols = spec["shape"]
    return terrain, (
        f"SYNTHETIC terrain ({rows} x {cols} cells at {spec['pixel_size_m']:g} m centred on the "
        f"site, seed {spec['seed']}): not a real place; pass --dem for real terrain"
    )


@dataclass
class Siting:
    """The site stage's map around the nominal site and the cell chosen for the station."""

    inputs: object  # moonbase.site.terrain_link.MapInputs
    stats: object  # moonbase.site.VisibilityStats over the survey year
    ranking: pd.DataFrame
    row: int
    col: int
    description: str


def choose_site(site, terrain, description: str, survey_start: date) -> Siting:
    """Rank the cells within ``SITE_SEARCH_KM`` of the nominal site over a survey year.

    Uses the terrain's horizon map and 6-hourly visibility statistics; the best-ranked cell
    (light, darkness, Earth, slope, distance to permanent shadow) becomes the station's site.
    """
    import numpy as np

    from moonbase.site import visibility_statistics
    from moonbase.site.rank import rank_sites
    from moonbase.site.terrain_link import map_inputs
    from moonbase.terrain.projection import xy_of_latlon

    inputs = map_inputs(
        terrain, height_above_ground_m=SITE_MAST_M, n_azimuths=SITE_AZIMUTHS, source=description
    )
    survey = time_range(
        str(survey_start),
        str(date(survey_start.year + 1, survey_start.month, survey_start.day)),
        "6h",
    )
    stats = visibility_statistics(
        inputs.horizon_deg, inputs.latitude_deg, inputs.longitude_deg, inputs.height_m, survey
    )
    x0, y0 = xy_of_latlon(site.latitude_deg, site.longitude_deg)
    near = np.hypot(inputs.x_m - x0, inputs.y_m - y0) <= SITE_SEARCH_KM * 1000.0
    if not near.any():
        raise InputError(
            f"the site {site.latitude_deg}, {site.longitude_deg} is not on the DEM",
            field="--dem",
            hint="give a DEM that covers the scenario's site",
        )
    ranking = rank_sites(
        stats,
        latitude_deg=inputs.latitude_deg,
        longitude_deg=inputs.longitude_deg,
        x_m=inputs.x_m,
        y_m=inputs.y_m,
        slope=inputs.slope_deg,
        candidates=near,
        top_n=5,
        edge_margin_m=2000.0,
    )
    best = ranking.iloc[0]
    return Siting(inputs, stats, ranking, int(best["row"]), int(best["col"]), description)


def _site_section(summary, siting: Siting) -> Section:
    s = summary.series
    table = pd.DataFrame([summary.as_dict()]).T.reset_index()
    table.columns = ["quantity", "value"]
    figure = go.Figure()
    figure.add_scatter(x=s.index, y=s["sun_disk_fraction"], name="Sun disk visible", mode="lines")
    figure.update_layout(
        yaxis_title="fraction of the solar disk above the horizon",
        height=320,
        margin={"t": 30, "b": 40},
    )
    lit_map = go.Figure(
        go.Heatmap(
            z=siting.stats.lit_percent,
            x=siting.inputs.x_m[0] / 1000.0,
            y=siting.inputs.y_m[:, 0] / 1000.0,
            colorscale="Cividis",
            colorbar={"title": "lit %"},
        )
    )
    best = siting.ranking.iloc[0]
    lit_map.add_scatter(
        x=[best["x_m"] / 1000.0],
        y=[best["y_m"] / 1000.0],
        mode="markers",
        marker={"symbol": "star", "size": 14, "color": "red"},
        name="station",
    )
    lit_map.update_layout(
        xaxis_title="x, km (polar stereographic)",
        yaxis_title="y, km",
        yaxis_scaleanchor="x",
        height=520,
        margin={"t": 30},
    )
    return Section(
        "Site: illumination, darkness and Earth visibility",
        paragraphs=[
            f"Terrain: {siting.description}. The station stands on the best-ranked cell within "
            f"{SITE_SEARCH_KM:g} km of the scenario's nominal site (ranking over the first "
            "campaign year at 6-hour steps: light, longest darkness, Earth visibility, slope, "
            "distance to permanent shadow). Lit means any part of the solar disk above the "
            "local horizon; Earth visible means the Earth's centre above it. Mast height "
            f"{summary.height_above_ground_m:g} m. The statistics below cover the whole "
            "campaign hourly.",
        ],
        tables=[siting.ranking.round(3), table],
        figures=[lit_map, figure],
    )


def _campaign_section(result, risk, risk_launch_only) -> Section:
    completion = result.completion_date()
    summary = risk.summary()
    launch_only = risk_launch_only.summary()
    risk_table = pd.DataFrame(
        [
            {"model": "launch failures, slips and delays", **_risk_row(summary)},
            {"model": "launch failures only", **_risk_row(launch_only)},
        ]
    )
    return Section(
        "Campaign: who flies what, when, and how likely the plan is to hold",
        paragraphs=[
            f"CP-SAT plan ({result.status}): basic model operating from {completion}; "
            f"greedy baseline values are shown beside the optimised ones with CP-SAT's bound "
            f"and gap per lexicographic stage.",
            f"Monte Carlo ({summary['runs']:,} runs, seed {summary['seed']}): probability that "
            f"the basic model is complete by {summary['target']} is "
            f"{100 * summary['probability_by_target']:.1f} % with launch failures, programme "
            f"slips and delays, {100 * launch_only['probability_by_target']:.1f} % with launch "
            "failures alone.",
        ],
        tables=[result.summary(), result.table(), risk_table, risk.partner_exposure()],
        figures=[result.gantt(), risk.figure()],
    )


def _risk_row(summary: dict) -> dict:
    return {
        "P(basic model by target)": round(summary["probability_by_target"], 4),
        "completion p10": summary["completion_p10"],
        "completion p50": summary["completion_p50"],
        "completion p90": summary["completion_p90"],
        "never complete": round(summary["never_complete_fraction"], 4),
    }


def _systems_section(simulation, notes: list[str]) -> Section:
    figures = simulation.figures()
    return Section(
        "Systems: power, thermal, life support, ISRU and communications",
        paragraphs=[
            "The station is built from the scenario's surface elements as the campaign plan "
            "delivers them; the drivers are the site's hourly Sun and Earth series.",
            *notes,
        ],
        tables=[simulation.kpi_table()],
        figures=list(figures.values()) if isinstance(figures, dict) else list(figures),
    )


def run_scenario(
    out: Path,
    *,
    scenario=None,
    dem: Path | None = None,
    dem_corner_xy_m: tuple[float, float] | None = None,
    dem_pixel_m: float | None = None,
    risk_runs: int = 10_000,
    risk_workers: int = 2,
    time_limit_s: float = 60.0,
    console: Console | None = None,
) -> RunResult:
    """Run every stage on ``scenario`` (default: the built-in ILRS reference) into ``out``."""
    from moonbase.campaign import optimise_campaign
    from moonbase.campaign.risk import RiskConfig, monte_carlo
    from moonbase.scenario import builtin_scenario
    from moonbase.site.series import site_summary
    from moonbase.systems import drivers_from_site_series, simulate_station
    from moonbase.systems.adapters import campaign_operating_dates, station_from_scenario

    console = console or Console()
    out = Path(out)
    files: list[Path] = []
    sections: list[Section] = []
    scenario = scenario or builtin_scenario("ilrs-reference")
    site = scenario.site
    if site is None:
        raise InputError(
            "the scenario has no surface site", field="site", hint="add a [site] table"
        )
    sections.append(_scenario_section(scenario))

    with console.status("Environment: Sun and Earth at the site ..."):
        start = scenario.campaign.start
        t = time_range(str(start), str(date(start.year + 1, start.month, start.day)), "1h")
        sky = sky_summary(t, site.latitude_deg, site.longitude_deg, site.height_m)
    _print_frame(console, sky.table(), f"Environment at {site.name} (flat horizon)")
    sections.append(environment_section(sky))
    files.append(_write_csv(out / "environment.csv", sky.series))

    with console.status("Campaign: greedy baseline and CP-SAT ..."):
        plan = optimise_campaign(scenario, time_limit_s=time_limit_s)
    _print_frame(
        console,
        plan.summary(),
        f"Campaign: basic model operating from {plan.completion_date()} ({plan.status})",
    )
    files.extend(plan.write(out))

    with console.status(f"Campaign risk: {risk_runs:,} Monte Carlo runs on Dask ..."):
        risk = monte_carlo(plan, n_runs=risk_runs, n_workers=risk_workers)
        launch_only = monte_carlo(
            plan,
            n_runs=risk_runs,
            n_workers=0,
            config=RiskConfig(slip_probability=0.0, launch_delay_mean_months=0.0),
        )
    risk_summary = risk.summary()
    console.print(
        f"P(basic model by {risk_summary['target']}) = "
        f"{100 * risk_summary['probability_by_target']:.1f} % (launch failures only: "
        f"{100 * launch_only.probability_by():.1f} %); "
        f"median completion {risk_summary['completion_p50']}"
    )
    sections.append(_campaign_section(plan, risk, launch_only))
    files.append(_write_csv(out / "campaign_risk_exposure.csv", risk.partner_exposure()))

    with console.status("Site: horizon map, ranking and visibility over the campaign ..."):
        terrain, description = _site_terrain(site, dem, dem_corner_xy_m, dem_pixel_m)
        siting = choose_site(site, terrain, description, start)
        r, c = siting.row, siting.col
        site_result = site_summary(
            float(siting.inputs.latitude_deg[r, c]),
            float(siting.inputs.longitude_deg[r, c]),
            str(start),
            str(scenario.campaign.end),
            "1h",
            height_above_ground_m=SITE_MAST_M,
            horizon_deg=siting.inputs.horizon_deg[r, c],
        )
    console.print(
        f"\n[bold]Site[/bold] ({description}): station at {site_result.latitude_deg:.3f} deg, "
        f"{site_result.longitude_deg:.2f} deg E; lit {site_result.lit_percent:.1f} %, longest "
        f"darkness {site_result.longest_dark_hours:.0f} h, Earth in view "
        f"{site_result.earth_visible_percent:.1f} %"
    )
    sections.append(_site_section(site_result, siting))
    files.append(_write_csv(out / "site_ranking.csv", siting.ranking))
    files.append(_write_csv(out / "site_series.csv", site_result.series))

    with console.status("Systems: hour-by-hour station simulation ..."):
        operating = campaign_operating_dates(plan.instance, plan.plan)
        station, notes = station_from_scenario(scenario, operating)
        if station is None:
            raise InputError(
                "no surface element of the scenario has power figures",
                field="elements",
                hint="give power_produced_w / power_consumed_operating_w to surface elements",
            )
        drivers = drivers_from_site_series(site_result.series)
        simulation = simulate_station(station, drivers, failures=True, seed=0)
    _print_frame(console, simulation.kpi_table(), "Systems over the campaign (hourly)")
    sections.append(_systems_section(simulation, notes))
    series_path = out / "systems_series.parquet"
    simulation.write_series(series_path)
    files.append(series_path)

    with console.status("Science: partners' experiments against station resources ..."):
        science = schedule_science(
            scenario, simulation, operating, time_limit_s=min(time_limit_s, 30.0)
        )
    sections.append(science.section)
    files.append(_write_csv(out / "science_shares.csv", science.shares))
    _print_frame(console, science.shares, "Science: delivered shares against entitlements")

    headline = {
        "basic_model_operating": str(plan.completion_date()),
        "campaign_status": plan.status,
        "p_basic_model_by_target": risk_summary["probability_by_target"],
        "site_lit_percent": site_result.lit_percent,
        "site_longest_dark_hours": site_result.longest_dark_hours,
        "energy_not_served_kwh": simulation.kpis.get("energy_not_served_kwh"),
        "max_balance_relative_residual": simulation.kpis.get("max_balance_relative_residual"),
    }
    files.append(write_text_atomic(out / "summary.json", pd.Series(headline).to_json(indent=2)))
    report_path = write_report(
        out / "report.html",
        f"moonbase: {scenario.name}",
        sections,
        subtitle=f"Scenario {scenario.name}; site {site.name}.",
    )
    return RunResult(Path(report_path), files, headline)


@dataclass
class ScienceStage:
    """The science stage's schedules, share table and report section."""

    instance: object  # moonbase.science.Instance
    schedules: dict
    shares: pd.DataFrame
    section: Section


def schedule_science(
    scenario, simulation, operating_dates: dict | None, *, time_limit_s: float = 30.0
) -> ScienceStage:
    """Schedule the scenario's experiments against the simulated station's resources.

    Requests come from the scenario's experiments, resources from the systems simulation
    (daily buckets); CP-SAT (hinted by and never worse than the greedy baseline) and the greedy
    baseline are both reported, with delivered shares against entitlements.
    """
    from moonbase.science import (
        SchedulerConfig,
        SchedulingProblem,
        build_instance,
        schedule_cpsat,
        schedule_greedy,
    )
    from moonbase.science.adapters import (
        requests_from_scenario,
        resources_from_systems,
        with_element_windows,
    )
    from moonbase.science.report import science_section, share_table

    partners, requests = requests_from_scenario(scenario)
    resources = with_element_windows(resources_from_systems(simulation), scenario, operating_dates)
    problem = SchedulingProblem(partners=partners, requests=requests, resources=resources)
    instance = build_instance(problem)
    schedules = {
        "cpsat": schedule_cpsat(instance, SchedulerConfig(time_limit_s=time_limit_s)),
        "greedy": schedule_greedy(instance),
    }
    return ScienceStage(
        instance, schedules, share_table(instance, schedules), science_section(instance, schedules)
    )


def _print_frame(console: Console, frame: pd.DataFrame, title: str) -> None:
    """A DataFrame as a rich table (numbers to four significant figures)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    console.print(table)


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}"
    return str(value)


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, float_format="%.6g")
    return path
