"""The spine: one typed plan of the station from a scenario, as of a date, on real terrain.

:func:`plan` runs the stages in the order the data flows, each by its own public function on the
earlier stages' typed results:

1. site: :func:`moonbase.site.stage.choose_site` on the terrain (the packaged LOLA-derived DEM with
   the far field by default) -> :class:`~moonbase.site.stage.SiteChoice`, the station's cell and its
   hourly light against its terrain horizon;
2. campaign: :func:`moonbase.campaign.stage.plan_campaign` on that cell's landing daylight, as of
   the plan's date -> :class:`~moonbase.campaign.stage.CampaignOutcome`;
3. systems and logistics: :func:`moonbase.logistics.supply_station` runs the twin
   (:func:`moonbase.systems.stage.run_station`) with the campaign's arrivals and the cell's
   light, takes the station's demand from that pass (crew consumables, spares), manifests it on
   the spare capacity of the campaign's flights to the site and runs the twin again with the
   manifests on board -> :class:`~moonbase.systems.stage.StationRun` and
   :class:`~moonbase.logistics.Logistics`;
4. closure: :func:`moonbase.closure.close_station` checks that the station survives (survival
   loads served through every night, a survival margin above 0) and that its critical stores
   hold their reserve; where not, it flies a planned power source earlier or sizes the storage
   it needs, or adds a logistics flight, re-plans the campaign and supplies and re-runs the
   twin until it closes or says what is unmet -> :class:`~moonbase.closure.Closure`; the
   campaign's Monte Carlo then runs once, on the final plan;
5. science: :func:`moonbase.science.stage.schedule_programme` on the closed station's resources
   (spare power, the downlink its terminals and relays leave after housekeeping, crew time) and
   the campaign's arrivals -> :class:`~moonbase.science.stage.ScienceResult`; the scheduled
   runs' consumables are manifested on the capacity left (:func:`moonbase.logistics.supply_science`);
6. systems with science on board: :func:`moonbase.systems.stage.run_station_with` the adopted
   schedule's runs as a load with their data and consumables (:meth:`ScienceResult.station_load`)
   and the science manifests, on the same drivers -> the final
   :class:`~moonbase.systems.stage.StationRun`. What that pass cannot serve (critical energy lost
   to the science loads, science runs shed, science data lost, runs without their consumables)
   is listed in :attr:`Plan.unmet` (:func:`unmet_needs`).

The report, the CLI and ``summary.json`` only render a :class:`Plan` (:meth:`Plan.summary`,
:func:`moonbase.report.plan_report`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from moonbase.campaign.stage import CampaignOutcome, plan_campaign, with_risk
from moonbase.closure import Closure, close_station
from moonbase.errors import InputError
from moonbase.logistics import Logistics, supply_science, supply_station
from moonbase.orbit.stage import NodeChoice, choose_node
from moonbase.scenario.models import Scenario
from moonbase.science.stage import ScienceResult, schedule_programme
from moonbase.site.stage import SiteChoice, SiteTerrain, choose_site, site_terrain
from moonbase.systems.stage import StationRun, run_station_with

__all__ = [
    "ORBIT_KEYS",
    "SUMMARY_KEYS",
    "UNMET_KEYS",
    "Plan",
    "StationPlan",
    "check_as_of",
    "plan",
    "unmet_needs",
]

#: The keys of :meth:`Plan.summary` (and ``summary.json``), section by section.
SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "terrain": ("source", "synthetic", "far_field"),
    "site": (
        "name",
        "latitude_deg",
        "longitude_deg",
        "ground_m",
        "mast_height_m",
        "lit_percent",
        "effective_illumination_percent",
        "longest_dark_hours",
        "longest_dark_start_utc",
        "earth_visible_percent",
        "start_utc",
        "stop_utc",
    ),
    "campaign": (
        "status",
        "basic_model_operating",
        "first_launch",
        "p_basic_model_by_target",
        "target",
        "history",
    ),
    "systems": (
        "energy_not_served_kwh",
        "critical_energy_not_served_kwh",
        "min_survival_margin_h",
        "crew_days",
        "o2_deficit_kg",
        "water_deficit_kg",
        "food_deficit_kg",
        "n2_deficit_kg",
        "data_generated_gbit",
        "data_delivered_gbit",
        "data_delivered_relay_gbit",
        "data_lost_gbit",
        "science_energy_not_served_kwh",
        "science_data_delivered_gbit",
        "science_data_lost_gbit",
        "max_balance_relative_residual",
    ),
    "logistics": (
        "carriers",
        "flights_with_manifests",
        "spare_capacity_kg",
        "manifested_kg",
        "reserve_days",
        "shortfalls",
        "stock_shortfalls",
        "repairs_waiting_h",
        "max_balance_relative_residual",
    ),
    "closure": ("closed", "iterations", "fixes", "unmet"),
    "science": ("runs", "value", "data_made_gbit", "data_sent_gbit", "shares"),
}

#: The keys of ``summary.json``'s ``orbit`` section (null when the plan has no orbit node).
ORBIT_KEYS: tuple[str, ...] = (
    "name",
    "family",
    "phase",
    "default_phase",
    "eclipse_max_min",
    "earth_eclipse_max_min",
    "moon_eclipse_max_min",
    "eclipses",
    "default_phase_eclipse_max_min",
    "earth_visible_percent",
    "insertion_delta_v_km_s",
    "delivered_fraction",
    "station",
)

#: The fields of each entry of :attr:`Plan.unmet` (``summary.json``'s ``unmet`` list).
UNMET_KEYS = ("need", "amount", "unit", "cause")

#: Amounts below these are rounding, not an unmet need (kWh, Gbit).
_UNMET_TOLERANCE = {"kWh": 1e-6, "Gbit": 1e-6, "kg": 1e-6}


@dataclass(frozen=True)
class StationPlan:
    """One station of the plan after the campaign: the surface base, or the orbit node.

    ``place`` is where it is (the site stage's :class:`~moonbase.site.stage.SiteChoice` or the
    orbit stage's :class:`~moonbase.orbit.stage.NodeChoice`); ``systems`` its twin with the
    science schedule on board (the second pass), ``systems_before_science`` the closed station
    without it, whose resources the science stage scheduled on; ``logistics`` the manifests of
    both passes; ``unmet`` what the second pass could not serve (:func:`unmet_needs`).
    """

    place: SiteChoice | NodeChoice
    systems: StationRun
    closure: Closure
    science: ScienceResult
    logistics: Logistics
    systems_before_science: StationRun
    unmet: tuple[dict, ...] = ()

    @property
    def location(self) -> str:
        """``"site"`` or ``"node"``: where the station's elements are."""
        return self.place.location

    def summary(self) -> dict:
        """The station's ``systems``, ``logistics``, ``closure``, ``science`` and ``unmet``."""
        kpis = self.systems.kpis
        systems = {key: _number(kpis.get(key)) for key in SUMMARY_KEYS["systems"]}
        systems["crew_days"] = self.systems.crew_days
        schedule = self.science.schedule
        return {
            "systems": systems,
            "logistics": self.logistics.summary(self.systems),
            "closure": self.closure.summary(),
            "science": {
                "runs": len(schedule.assignments),
                "value": float(schedule.value),
                "data_made_gbit": self.science.data_made_gbit(),
                "data_sent_gbit": self.science.data_sent_gbit(),
                "shares": {
                    partner: {key: _number(value) for key, value in row.items()}
                    for partner, row in self.science.shares().items()
                },
            },
            "unmet": [dict(need) for need in self.unmet],
        }

    def sections(self) -> list:
        """The station's report sections: systems, logistics, closure, science."""
        return [
            self.systems.section(),
            self.logistics.section(self.systems),
            self.closure.section(),
            self.science.section(),
        ]


@dataclass(frozen=True)
class Plan:
    """One typed result per stage, made as of ``as_of`` from ``scenario``.

    ``scenario`` is the design as closed (with the storage or flights the closure step added,
    if any); ``campaign`` is that design's. ``stations`` are the plan's stations in order: the
    surface base (when the scenario has a ``[site]``), then the orbit node (when it has an
    ``[orbit]`` with elements at ``location = "node"``). The first is the *primary* station:
    ``site``, ``systems``, ``closure``, ``science``, ``logistics``, ``systems_before_science``
    and ``unmet`` are its, and ``summary.json``'s sections of those names describe it; an orbit
    node beside a surface base is summarised under ``orbit.station``.
    """

    scenario: Scenario
    as_of: date
    campaign: CampaignOutcome
    stations: tuple[StationPlan, ...]
    runtime_s: float

    @property
    def primary(self) -> StationPlan:
        return self.stations[0]

    def station(self, location: str) -> StationPlan | None:
        """The station at ``location`` (``"site"`` or ``"node"``), or None."""
        return next((s for s in self.stations if s.location == location), None)

    @property
    def site(self):
        """The primary station's place: the surface cell (or the orbit node when alone)."""
        return self.primary.place

    @property
    def node(self) -> NodeChoice | None:
        """The orbit node's place, when the plan has one."""
        station = self.station("node")
        return None if station is None else station.place

    @property
    def systems(self) -> StationRun:
        return self.primary.systems

    @property
    def systems_before_science(self) -> StationRun:
        return self.primary.systems_before_science

    @property
    def closure(self) -> Closure:
        return self.primary.closure

    @property
    def science(self) -> ScienceResult:
        return self.primary.science

    @property
    def logistics(self) -> Logistics:
        return self.primary.logistics

    @property
    def unmet(self) -> tuple[dict, ...]:
        return self.primary.unmet

    def summary(self) -> dict:
        """The plan's headline as plain data (the ``summary.json`` schema, docs/summary.md)."""
        site = self.site
        summary = site.summary
        risk = self.campaign.risk
        first = self.campaign.first_launch()
        operating = self.campaign.basic_model_operating()
        terrain = site.terrain
        primary = self.primary.summary()
        node = self.station("node")
        orbit = None
        if node is not None:
            orbit = node.place.figures_summary()
            orbit["station"] = None if node is self.primary else node.summary()
        return {
            "scenario": self.scenario.name,
            "as_of": self.as_of.isoformat(),
            "terrain": {
                "source": "none: the station is in lunar orbit"
                if terrain is None
                else terrain.describe(),
                "synthetic": False if terrain is None else terrain.synthetic,
                "far_field": False if terrain is None else terrain.far_field,
            },
            "site": {
                "name": site.site_name,
                "latitude_deg": _number(site.latitude_deg),
                "longitude_deg": _number(site.longitude_deg),
                "ground_m": _number(site.ground_m),
                "mast_height_m": _number(site.mast_height_m),
                "lit_percent": summary.lit_percent,
                "effective_illumination_percent": summary.effective_illumination_percent,
                "longest_dark_hours": summary.longest_dark_hours,
                "longest_dark_start_utc": summary.longest_dark_start_utc,
                "earth_visible_percent": summary.earth_visible_percent,
                "start_utc": summary.start_utc,
                "stop_utc": summary.stop_utc,
            },
            "campaign": {
                "status": self.campaign.status,
                "basic_model_operating": None if operating is None else operating.isoformat(),
                "first_launch": None if first is None else first.isoformat(),
                "p_basic_model_by_target": self.campaign.p_basic_model_by_target(),
                "target": str(risk.config.target),
                "history": self.campaign.history["element"].tolist(),
            },
            "systems": primary["systems"],
            "logistics": primary["logistics"],
            "closure": primary["closure"],
            "science": primary["science"],
            "orbit": orbit,
            "unmet": primary["unmet"],
            "runtime_s": round(self.runtime_s, 3),
        }


def unmet_needs(before: StationRun, after: StationRun) -> tuple[dict, ...]:
    """What the pass with science on board (``after``) leaves unmet, each need with its amount.

    Critical (priority-1) energy not served beyond the first pass's (the science loads took
    it), science runs' energy not served (their loads shed), science data lost (the buffer
    full) and science consumables short (runs before their cargo); each entry has
    :data:`UNMET_KEYS`. Amounts below rounding are left out.
    """
    a, b = after.kpis, before.kpis
    needs = [
        (
            "critical energy",
            a["critical_energy_not_served_kwh"] - b["critical_energy_not_served_kwh"],
            "kWh",
            "science loads on board",
        ),
        (
            "science run energy",
            a.get("science_energy_not_served_kwh", 0.0),
            "kWh",
            "science loads shed",
        ),
        (
            "science data",
            a.get("science_data_lost_gbit", 0.0),
            "Gbit",
            "lost with the data buffer full",
        ),
        (
            "science consumables",
            a.get("science_deficit_kg", 0.0),
            "kg",
            "runs that start before a flight brings their consumables",
        ),
    ]
    return tuple(
        dict(zip(UNMET_KEYS, (need, float(amount), unit, cause), strict=True))
        for need, amount, unit, cause in needs
        if amount > _UNMET_TOLERANCE[unit]
    )


def _number(value):
    """A JSON-safe number: floats stay floats, NaN and missing become None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def check_as_of(scenario, as_of: date | str | None) -> date:
    """The plan's date: ``as_of`` (a date or ISO text; default today, UTC) inside the campaign."""
    if as_of is None:
        as_of = datetime.now(UTC).date()
    elif isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of.strip())
        except ValueError:
            raise InputError(
                f"cannot read {as_of!r} as a date", field="--as-of", hint="use YYYY-MM-DD"
            ) from None
    window = scenario.campaign
    if not window.start <= as_of < window.end:
        raise InputError(
            f"{as_of} is outside the campaign of scenario {scenario.name!r} "
            f"({window.start} to {window.end})",
            field="--as-of",
            hint=f"give a date from {window.start} to before {window.end}",
        )
    return as_of


def plan(
    scenario=None,
    *,
    as_of: date | str | None = None,
    terrain: SiteTerrain | None = None,
    risk_runs: int = 10_000,
    risk_workers: int = 2,
    campaign_time_limit_s: float = 60.0,
    science_time_limit_s: float = 30.0,
    seed: int = 0,
    close: bool = True,
    closure_iterations: int = 5,
    replan_time_limit_s: float = 10.0,
    node_phases: int = 120,
    progress: Callable[[str], None] | None = None,
    site_chooser: Callable[..., SiteChoice] | None = None,
) -> Plan:
    """Make the plan of ``scenario`` (default: the built-in ILRS reference) as of ``as_of``.

    ``terrain`` defaults to :func:`moonbase.site.stage.site_terrain` (the packaged real DEM with
    the far field). ``progress(stage)`` is called as each stage starts. With ``close`` the
    closure step sizes what each station needs to survive (at most ``closure_iterations``
    fixes, each re-planning the campaign in ``replan_time_limit_s``); without it the plan only
    checks survival and reports what is unmet. An orbit node's phase is chosen among
    ``node_phases`` candidates for the whole span (:func:`moonbase.orbit.stage.choose_node`).

    ``site_chooser`` stands in for :func:`~moonbase.site.stage.choose_site`, called with the same
    arguments (a study's cache of the site stage, :class:`moonbase.study.cache.SiteChooser`).
    """
    from moonbase.scenario import builtin_scenario

    began = time.perf_counter()
    scenario = scenario or builtin_scenario("ilrs-reference")
    has_node = scenario.orbit is not None and any(e.location == "node" for e in scenario.elements)
    if scenario.site is None and not has_node:
        raise InputError(
            "the scenario has neither a surface site nor an orbit node with elements",
            field="site",
            hint='add a [site] table, or an [orbit] table and elements with location = "node"',
        )
    as_of = check_as_of(scenario, as_of)
    say = progress or (lambda stage: None)
    places = []
    site = None
    if scenario.site is not None:
        say("site")
        terrain = terrain or site_terrain()
        site = (site_chooser or choose_site)(
            scenario.site,
            terrain,
            start=as_of,
            stop=scenario.campaign.end,
            search_radius_km=scenario.site.search_radius_km,
        )
        places.append(site)
    if has_node:
        say("orbit")
        places.append(
            choose_node(scenario.orbit, start=as_of, stop=scenario.campaign.end, phases=node_phases)
        )
    say("campaign")
    campaign = plan_campaign(
        scenario,
        site,
        as_of=as_of,
        time_limit_s=campaign_time_limit_s,
        seed=seed,
        risk=False,
    )
    options = {
        "max_iterations": closure_iterations if close else 0,
        "replan_time_limit_s": replan_time_limit_s,
        "seed": seed,
    }
    closures: list[Closure] = []
    for place in places:
        say("systems")
        systems, logistics = supply_station(scenario, place, campaign, seed=seed)
        say("closure")
        closure = close_station(scenario, place, campaign, systems, logistics, **options)
        closures.append(closure)
        scenario, campaign = closure.scenario, closure.campaign
    # a later station's fix re-plans the campaign: check the earlier stations on the final one
    for i, place in enumerate(places[:-1]):
        if closures[i].campaign is not campaign:
            systems, logistics = supply_station(scenario, place, campaign, seed=seed)
            closures[i] = close_station(scenario, place, campaign, systems, logistics, **options)
            scenario, campaign = closures[i].scenario, closures[i].campaign
    campaign = with_risk(campaign, risk_runs=risk_runs, risk_workers=risk_workers, seed=seed)
    stations = []
    for i, (place, closure) in enumerate(zip(places, closures, strict=True)):
        say("science")
        before = closure.systems
        science = schedule_programme(
            scenario,
            before,
            campaign,
            time_limit_s=science_time_limit_s,
            location=place.location,
            hostless=i == 0,
        )
        logistics = supply_science(closure.logistics, science, before)
        say("systems with science")
        systems = run_station_with(
            before,
            [science.station_load(), *logistics.science_cargo()],
            note=(
                "Second pass: the science schedule's runs on board as a load with their data and "
                "consumables, and the science manifests."
            ),
        )
        stations.append(
            StationPlan(
                place,
                systems,
                closure,
                science,
                logistics,
                before,
                unmet_needs(before, systems),
            )
        )
    return Plan(scenario, as_of, campaign, tuple(stations), time.perf_counter() - began)
