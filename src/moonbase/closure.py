"""The closure step of the plan: the station sizes what it needs to survive, and re-plans.

After the twin runs (:func:`moonbase.systems.stage.run_station`), :func:`check_survival` asks
whether the station survives: its critical (priority 1) loads are served through every night at
the chosen cell (critical energy not served within ``tolerance_kwh`` of 0) and the survival
margin never falls to 0 (``min_survival_margin_h > 0``, hence also after the longest darkness).

Where it does not, :func:`close_station` sizes the fix, storage first:

1. the first hour a survival load goes unserved (or, if all are served, the hour the margin is
   smallest) names the element whose survival load is short; the battery sized is that
   element's, or else the battery of the element with storage present then (the first in
   station order), or else a new one on the short element (:func:`storage_to_size`);
2. :func:`moonbase.systems.sizing.size_component` bisects that battery's capacity on the twin's
   own drivers until no survival energy is short, then adds the sizing margin;
3. the design changes (:func:`apply_storage`): the element's ``energy_storage_wh`` grows, its
   landed mass grows by the added storage at ``specific_energy_wh_per_kg``
   (:data:`STORAGE_SPECIFIC_ENERGY_WH_PER_KG`) and its TLI mass by that over its landed
   fraction; a fix whose element no allowed launcher can then carry is not applied and is
   reported as unmet;
4. the campaign is re-planned with the changed masses (the element may move to another launcher
   and date) without its Monte Carlo, and the twin runs again.

The loop stops when the station survives, or after ``max_iterations`` fixes; a station that does
not close says which need is unmet and by how much (:class:`UnmetNeed`), never by raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from moonbase.campaign.stage import CampaignOutcome, plan_campaign
from moonbase.errors import InputError
from moonbase.systems.components import parse_station
from moonbase.systems.sizing import size_component
from moonbase.systems.stage import StationRun, run_station

if TYPE_CHECKING:
    from moonbase.scenario.models import Scenario
    from moonbase.site.stage import SiteChoice

__all__ = [
    "STORAGE_SPECIFIC_ENERGY_WH_PER_KG",
    "Closure",
    "ClosureIteration",
    "SurvivalCheck",
    "UnmetNeed",
    "apply_storage",
    "check_survival",
    "close_station",
    "storage_to_size",
]

#: Notional system-level specific energy of added Li-ion storage (Wh per kg of battery: cells,
#: housing, thermal control, electronics and harness). Derived: commercial Li-ion power cells
#: reach about 240-250 Wh/kg at cell level, and cells make about 60-65 % of a pack's mass (the
#: rest housing, structure, electronics and cables), so 250 x 0.65 = 162 Wh/kg, rounded to
#: 160 Wh/kg, inside the 150-200 Wh/kg usually quoted for packs at system level.
STORAGE_SPECIFIC_ENERGY_WH_PER_KG = 160.0


@dataclass(frozen=True)
class SurvivalCheck:
    """Does the simulated station survive? Its figures, and where it first falls short."""

    critical_energy_not_served_kwh: float
    min_survival_margin_h: float
    survival_margin_after_longest_darkness_h: float
    tolerance_kwh: float
    first_short_utc: pd.Timestamp | None  # first hour a survival load is unserved (or margin 0)
    short_loads: tuple[str, ...]  # the survival loads short then (component names)

    @property
    def served(self) -> bool:
        return self.critical_energy_not_served_kwh <= self.tolerance_kwh

    @property
    def survives(self) -> bool:
        return self.served and self.min_survival_margin_h > 0.0


@dataclass(frozen=True)
class ClosureIteration:
    """One fix of the closure loop and what it did to the plan."""

    iteration: int
    fix: str  # "storage"
    element: str
    component: str
    capacity_before_wh: float
    capacity_after_wh: float
    added_mass_kg: float  # landed
    added_tli_mass_kg: float
    basic_model_before: date | None
    basic_model_after: date | None
    launcher_before: str | None
    launcher_after: str | None
    critical_energy_not_served_before_kwh: float
    critical_energy_not_served_after_kwh: float
    min_survival_margin_after_h: float
    simulations: int

    @property
    def added_wh(self) -> float:
        return self.capacity_after_wh - self.capacity_before_wh

    def summary(self) -> dict:
        return {
            "iteration": self.iteration,
            "fix": self.fix,
            "element": self.element,
            "component": self.component,
            "capacity_before_wh": self.capacity_before_wh,
            "capacity_after_wh": self.capacity_after_wh,
            "added_wh": self.added_wh,
            "added_mass_kg": self.added_mass_kg,
            "added_tli_mass_kg": self.added_tli_mass_kg,
            "launcher_before": self.launcher_before,
            "launcher_after": self.launcher_after,
            "basic_model_before": _iso(self.basic_model_before),
            "basic_model_after": _iso(self.basic_model_after),
            "critical_energy_not_served_before_kwh": self.critical_energy_not_served_before_kwh,
            "critical_energy_not_served_after_kwh": self.critical_energy_not_served_after_kwh,
            "min_survival_margin_after_h": _finite(self.min_survival_margin_after_h),
        }


@dataclass(frozen=True)
class UnmetNeed:
    """A need the closure step could not meet: what, for which element, how much, and why."""

    need: str  # "survival energy", "survival margin", "storage mass"
    element: str | None
    amount: float
    unit: str
    reason: str

    def summary(self) -> dict:
        return {
            "need": self.need,
            "element": self.element,
            "amount": _finite(self.amount),
            "unit": self.unit,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Closure:
    """The closed (or not) plan: the changed scenario, its campaign and twin, and the record."""

    scenario: Scenario
    campaign: CampaignOutcome
    systems: StationRun
    initial: SurvivalCheck
    final: SurvivalCheck
    iterations: tuple[ClosureIteration, ...]
    unmet: tuple[UnmetNeed, ...]
    max_iterations: int
    specific_energy_wh_per_kg: float

    @property
    def closed(self) -> bool:
        return self.final.survives and not self.unmet

    def summary(self) -> dict:
        return {
            "closed": self.closed,
            "iterations": len(self.iterations),
            "fixes": [it.summary() for it in self.iterations],
            "unmet": [u.summary() for u in self.unmet],
        }

    def section(self):
        """The report's closure section: the check, each fix, and what is unmet."""
        from moonbase.report import Section

        first, last = self.initial, self.final
        paragraphs = [
            "After the twin runs, the plan checks that the station survives: its survival "
            "(priority 1) loads are served through every night at the station's cell and the "
            "survival margin (hours the storage could carry them) never falls to 0. Where it "
            "fails, the closure step sizes the battery of the element short first (bisection "
            "on the twin, with the sizing margin), grows that element's landed mass by the "
            f"storage at {self.specific_energy_wh_per_kg:g} Wh/kg (notional Li-ion at system "
            "level) and its TLI mass by that over its landed fraction, re-plans the campaign "
            f"and runs the twin again, at most {self.max_iterations} times.",
            f"Before: {first.critical_energy_not_served_kwh:,.1f} kWh of survival energy not "
            f"served, minimum survival margin {first.min_survival_margin_h:,.1f} h. After: "
            f"{last.critical_energy_not_served_kwh:,.1f} kWh, "
            f"{last.min_survival_margin_h:,.1f} h. "
            + ("The station closes." if self.closed else "The station does not close."),
        ]
        paragraphs += [
            f"Unmet: {u.need} of {u.element or 'the station'}, {u.amount:,.1f} {u.unit}: "
            f"{u.reason}."
            for u in self.unmet
        ]
        tables = [self.table()]
        if self.unmet:
            tables.append(pd.DataFrame([u.summary() for u in self.unmet]))
        return Section("Closure: what the station needs to survive", paragraphs, tables=tables)

    def table(self) -> pd.DataFrame:
        """One row per iteration (the report's closure table)."""
        columns = [
            "iteration",
            "fix",
            "element",
            "added_wh",
            "added_mass_kg",
            "launcher_before",
            "launcher_after",
            "basic_model_before",
            "basic_model_after",
            "critical_energy_not_served_before_kwh",
            "critical_energy_not_served_after_kwh",
        ]
        return pd.DataFrame([it.summary() for it in self.iterations], columns=columns)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _element_of(component_name: str) -> str:
    return component_name.split(":")[0]


def check_survival(run: StationRun, *, tolerance_kwh: float = 1e-6) -> SurvivalCheck:
    """Critical energy not served, the survival margins, and the first hour the station is short.

    The first short hour is the first with critical power unserved; when every survival load is
    served but the margin falls to 0, the first hour it does (survival loads present then).
    """
    sim = run.simulation
    kpis = sim.kpis
    series = sim.series
    critical_names = [
        c.name
        for c in run.station.components
        if (c.type == "load" and c.priority == 1) or (c.type == "habitat" and c.priority == 1)
    ]
    unserved = series["critical_unserved_w"].to_numpy()
    first, short = None, ()
    if kpis["critical_energy_not_served_kwh"] > tolerance_kwh:
        hits = np.flatnonzero(unserved > 1e-9)
        if hits.size:
            i = int(hits[0])
            first = series.index[i]
            short = tuple(
                name
                for name in critical_names
                if f"served_w:{name}" in series
                and series[f"served_w:{name}"].iat[i] < run.station.get(name).power_w - 1e-9
            )
    elif kpis["min_survival_margin_h"] <= 0.0:
        margin = series["survival_margin_h"].to_numpy()
        hits = np.flatnonzero(margin <= 0.0)
        if hits.size:
            i = int(hits[0])
            first = series.index[i]
            short = tuple(
                name
                for name in critical_names
                if f"served_w:{name}" in series and series[f"served_w:{name}"].iat[i] > 0
            )
    return SurvivalCheck(
        float(kpis["critical_energy_not_served_kwh"]),
        float(kpis["min_survival_margin_h"]),
        float(kpis["survival_margin_after_longest_darkness_h"]),
        tolerance_kwh,
        first,
        short,
    )


def storage_to_size(run: StationRun, check: SurvivalCheck) -> tuple[str, str]:
    """``(element id, battery component name)`` to size for ``check``'s first shortfall.

    The short element's own battery if it has one present; else the first battery present at
    that hour (the station's shared storage); else a new battery on the short element (the
    name the adapter gives it, ``<element>:battery``, which may not exist yet).
    """
    when = check.first_short_utc
    short = [_element_of(name) for name in check.short_loads]
    batteries = run.station.of_type("battery", "regenerative_fuel_cell")

    def present(c) -> bool:
        arrival = c.arrival_utc
        return arrival is None or when is None or pd.Timestamp(arrival) <= when

    for element in short:
        for c in batteries:
            if _element_of(c.name) == element and present(c):
                return element, c.name
    for c in batteries:
        if present(c):
            return _element_of(c.name), c.name
    if short:
        return short[0], f"{short[0]}:battery"
    raise InputError("no survival load is short", field="closure")


def apply_storage(
    scenario: Scenario,
    element_id: str,
    capacity_wh: float,
    *,
    specific_energy_wh_per_kg: float = STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
) -> tuple[Scenario, float, float]:
    """``scenario`` with ``element_id``'s storage at ``capacity_wh`` and its masses grown.

    Returns ``(scenario, added landed kg, added TLI kg)``. The added storage weighs
    ``added_wh / specific_energy_wh_per_kg`` landed; the TLI mass grows by that over the
    element's landed fraction (landed / TLI mass where both are given, else the mean landed
    fraction of its allowed launchers). An element with only a landed mass grows that alone.
    """
    if specific_energy_wh_per_kg <= 0:
        raise InputError(
            f"must be > 0, got {specific_energy_wh_per_kg}", field="specific_energy_wh_per_kg"
        )
    elements = list(scenario.elements)
    index = next(i for i, e in enumerate(elements) if e.id == element_id)
    e = elements[index]
    added_wh = capacity_wh - (e.energy_storage_wh or 0.0)
    added_kg = max(added_wh, 0.0) / specific_energy_wh_per_kg
    update = {"energy_storage_wh": capacity_wh}
    added_tli = 0.0
    if e.landed_mass_kg is not None:
        update["landed_mass_kg"] = e.landed_mass_kg + added_kg
    if e.mass_tli_kg is not None:
        added_tli = added_kg / _landed_fraction(scenario, e)
        update["mass_tli_kg"] = e.mass_tli_kg + added_tli
    note = (
        f"closure: +{added_wh / 1000.0:,.0f} kWh storage "
        f"(+{added_kg:,.0f} kg at {specific_energy_wh_per_kg:g} Wh/kg)"
    )
    update["mass_basis"] = f"{e.mass_basis}; {note}" if e.mass_basis else note
    elements[index] = e.model_copy(update=update)
    return scenario.model_copy(update={"elements": elements}), added_kg, added_tli


def _landed_fraction(scenario, element) -> float:
    if element.landed_mass_kg is not None and element.mass_tli_kg:
        return element.landed_mass_kg / element.mass_tli_kg
    allowed = [lch for lch in scenario.launchers if lch.id in element.allowed_launchers]
    allowed = allowed or list(scenario.launchers)
    return sum(lch.landed_fraction for lch in allowed) / len(allowed)


def _carriers(scenario, element) -> list:
    """The allowed launchers that can lift ``element`` (its TLI mass on each)."""
    allowed = [lch for lch in scenario.launchers if lch.id in element.allowed_launchers]
    allowed = allowed or list(scenario.launchers)
    return [lch for lch in allowed if element.tli_mass_on(lch) <= lch.capacity_tli_kg + 1e-9]


def _launcher_of(campaign: CampaignOutcome, element_id: str) -> str | None:
    table = campaign.result.table()
    rows = table[table["element"] == element_id]
    if rows.empty or rows["launcher"].isna().all():
        return None
    return str(rows["launcher"].iloc[0])


def _with_battery(run: StationRun, element_id: str, name: str):
    """The station with an empty battery ``name`` on ``element_id`` (when it has none yet)."""
    station = run.station
    if any(c.name == name for c in station.components):
        return station
    parts = [c for c in station.components if _element_of(c.name) == element_id]
    arrival = parts[0].arrival_utc if parts else None
    data = station.model_dump()
    data["components"].append(
        {"type": "battery", "name": name, "capacity_wh": 0.0, "arrival_utc": arrival}
    )
    return parse_station(data)


def _unmet_shortfall(check: SurvivalCheck, reason: str) -> UnmetNeed:
    element = _element_of(check.short_loads[0]) if check.short_loads else None
    if not check.served:
        return UnmetNeed(
            "survival energy", element, check.critical_energy_not_served_kwh, "kWh", reason
        )
    return UnmetNeed("survival margin", element, check.min_survival_margin_h, "h", reason)


def close_station(
    scenario: Scenario,
    site: SiteChoice,
    campaign: CampaignOutcome,
    systems: StationRun,
    *,
    max_iterations: int = 5,
    margin: float = 0.2,
    specific_energy_wh_per_kg: float = STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    tolerance_kwh: float = 1e-6,
    replan_time_limit_s: float = 10.0,
    seed: int = 0,
) -> Closure:
    """Size storage until the station survives, re-planning the campaign (module docstring).

    ``systems`` is the twin of ``campaign`` at ``site``'s cell. Each fix sizes one battery with
    ``margin`` (see :func:`~moonbase.systems.sizing.size_component`), re-plans the campaign
    in ``replan_time_limit_s`` without its Monte Carlo, and re-runs the twin (``seed``).
    """
    initial = check = check_survival(systems, tolerance_kwh=tolerance_kwh)
    iterations: list[ClosureIteration] = []
    unmet: list[UnmetNeed] = []
    while not check.survives:
        if len(iterations) >= max_iterations:
            unmet.append(
                _unmet_shortfall(check, f"the iteration limit ({max_iterations}) was reached")
            )
            break
        try:
            element_id, name = storage_to_size(systems, check)
            if not any(e.id == element_id for e in scenario.elements):
                raise InputError(f"{element_id!r} is not an element of the scenario")
        except InputError as error:
            unmet.append(_unmet_shortfall(check, f"no storage to size: {error}"))
            break
        station = _with_battery(systems, element_id, name)
        current = station.get(name).capacity_wh
        try:
            sized = size_component(
                station,
                systems.simulation.drivers,
                name,
                margin=margin,
                tolerance_kwh=tolerance_kwh,
                failures=True,
                seed=seed,
            )
        except InputError as error:
            unmet.append(_unmet_shortfall(check, f"sizing {name} failed: {error}"))
            break
        if sized.with_margin <= current * (1.0 + 1e-9):
            unmet.append(
                _unmet_shortfall(
                    check,
                    f"more storage on {name} does not help (sized {sized.with_margin:,.0f} Wh, "
                    f"has {current:,.0f} Wh)",
                )
            )
            break
        changed, added_kg, added_tli = apply_storage(
            scenario,
            element_id,
            sized.with_margin,
            specific_energy_wh_per_kg=specific_energy_wh_per_kg,
        )
        element = next(e for e in changed.elements if e.id == element_id)
        if not _carriers(changed, element):
            biggest = max(
                (lch for lch in changed.launchers if lch.id in element.allowed_launchers),
                key=lambda lch: lch.capacity_tli_kg,
                default=None,
            )
            over = (
                element.tli_mass_on(biggest) - biggest.capacity_tli_kg
                if biggest is not None
                else added_kg
            )
            unmet.append(
                UnmetNeed(
                    "storage mass",
                    element_id,
                    over,
                    "kg",
                    f"{element_id} with {sized.with_margin / 1000.0:,.0f} kWh of storage "
                    f"(+{added_kg:,.0f} kg landed) is {over:,.0f} kg over the TLI capacity of "
                    f"its largest allowed launcher"
                    + (f" ({biggest.id}, {biggest.capacity_tli_kg:,.0f} kg)" if biggest else ""),
                )
            )
            unmet.append(_unmet_shortfall(check, "the storage that would close it is too heavy"))
            break
        try:
            new_campaign = plan_campaign(
                changed,
                site,
                as_of=campaign.as_of,
                time_limit_s=replan_time_limit_s,
                risk=False,
                seed=seed,
            )
        except InputError as error:
            carriers = ", ".join(lch.id for lch in _carriers(changed, element))
            unmet.append(
                UnmetNeed(
                    "storage mass",
                    element_id,
                    added_kg,
                    "kg",
                    f"{element_id} with {sized.with_margin / 1000.0:,.0f} kWh of storage "
                    f"(+{added_kg:,.0f} kg landed, {element.mass_tli_kg or 0.0:,.0f} kg TLI, "
                    f"carried only by {carriers}) cannot be flown in the campaign: {error}",
                )
            )
            unmet.append(_unmet_shortfall(check, "the storage that would close it cannot fly"))
            break
        new_systems = run_station(changed, site, new_campaign, seed=seed)
        after = check_survival(new_systems, tolerance_kwh=tolerance_kwh)
        iterations.append(
            ClosureIteration(
                iteration=len(iterations) + 1,
                fix="storage",
                element=element_id,
                component=name,
                capacity_before_wh=current,
                capacity_after_wh=sized.with_margin,
                added_mass_kg=added_kg,
                added_tli_mass_kg=added_tli,
                basic_model_before=campaign.basic_model_operating(),
                basic_model_after=new_campaign.basic_model_operating(),
                launcher_before=_launcher_of(campaign, element_id),
                launcher_after=_launcher_of(new_campaign, element_id),
                critical_energy_not_served_before_kwh=check.critical_energy_not_served_kwh,
                critical_energy_not_served_after_kwh=after.critical_energy_not_served_kwh,
                min_survival_margin_after_h=after.min_survival_margin_h,
                simulations=sized.simulations,
            )
        )
        scenario, campaign, systems, check = changed, new_campaign, new_systems, after
    return Closure(
        scenario,
        campaign,
        systems,
        initial,
        check,
        tuple(iterations),
        tuple(unmet),
        max_iterations,
        specific_energy_wh_per_kg,
    )
