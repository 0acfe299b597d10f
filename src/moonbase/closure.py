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
3. the design changes, storage on the element first (:func:`apply_storage`, fix ``"storage on
   element"``): the element's ``energy_storage_wh`` grows, its landed mass grows by the added
   storage at ``specific_energy_wh_per_kg`` (:data:`STORAGE_SPECIFIC_ENERGY_WH_PER_KG`) and its
   TLI mass by that over its landed fraction, and the campaign is re-planned with the changed
   masses (the element may move to another launcher and date) without its Monte Carlo;
4. where no allowed launcher can carry the heavier element, or no campaign can fly it, the
   added storage flies as separate storage elements instead (:func:`add_storage_elements`, fix
   ``"storage element"``): notional energy storage units at the site, ``<element>-STORAGE-<n>``,
   split into the fewest units within the landed capacity of the best launcher available in
   the element's window, each on the launchers that can carry it. The element requires its
   units, so they operate before it and its first night is covered; if no campaign flies
   that, the units fly independently, and a shortfall that then lies before they land is
   reported unmet with the hours it leaves unserved (more storage cannot serve those). The
   twin's batteries share one bus (:func:`moonbase.systems.power.dispatch` draws every unit
   present for the whole station's demand), so a unit's storage covers any element's survival
   loads;
5. the twin runs again on the re-planned campaign.

A fix neither way can fly is not applied and is reported unmet (``"storage mass"``).

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
    "add_storage_elements",
    "apply_storage",
    "check_survival",
    "close_station",
    "storage_to_size",
    "storage_unit_id",
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
    fix: str  # "storage on element" or "storage element"
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
    storage_elements: tuple[str, ...] = ()  # the separate storage units ("storage element")
    storage_launchers: tuple[str | None, ...] = ()  # the launcher flying each unit
    storage_arrivals: tuple[date | None, ...] = ()  # each unit's first operating date
    operating_before: date | None = None  # the element's first operating date, before the fix
    operating_after: date | None = None  # and after it

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
            "storage_elements": list(self.storage_elements),
            "storage_launchers": list(self.storage_launchers),
            "storage_arrivals": [_iso(day) for day in self.storage_arrivals],
            "operating_before": _iso(self.operating_before),
            "operating_after": _iso(self.operating_after),
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
            f"and runs the twin again, at most {self.max_iterations} times. Where the heavier "
            "element no launcher can carry, or no campaign can fly, the added storage flies "
            "instead as separate notional storage elements at the site (the fewest units "
            "within the landed capacity of the best launcher available), which the element "
            "requires, so they land before it; the station's batteries share one bus, so a "
            "unit's storage carries any element's survival loads.",
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
            "operating_before",
            "operating_after",
            "basic_model_before",
            "basic_model_after",
            "critical_energy_not_served_before_kwh",
            "critical_energy_not_served_after_kwh",
            "storage_elements",
            "storage_launchers",
            "storage_arrivals",
        ]
        rows = []
        for it in self.iterations:
            row = it.summary()
            for key in ("storage_elements", "storage_launchers", "storage_arrivals"):
                row[key] = ", ".join(str(v) for v in row[key]) or None
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _element_of(component_name: str) -> str:
    return component_name.split(":")[0]


def _naive(value) -> pd.Timestamp:
    """``value`` as a naive UTC timestamp (the twin's own convention)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def _present(component, when) -> bool:
    """Is ``component`` on the surface at ``when`` (a load not landed yet is not short)?"""
    moment = _naive(when)
    if component.arrival_utc is not None and moment < _naive(component.arrival_utc):
        return False
    retire = getattr(component, "retire_utc", None)
    return retire is None or moment < _naive(retire)


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
                and _present(run.station.get(name), first)
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


@dataclass(frozen=True)
class _Refusal:
    """Why the storage cannot fly on its element: the mass over (kg) and the reason."""

    amount_kg: float
    reason: str


def _storage_on_element(
    scenario,
    site,
    campaign,
    element_id,
    capacity_wh,
    *,
    specific_energy_wh_per_kg,
    replan_time_limit_s,
    seed,
):
    """Grow ``element_id``'s storage and re-plan: ``(scenario, campaign, kg, TLI kg)``.

    A :class:`_Refusal` when no allowed launcher can carry the heavier element or no campaign
    can fly it.
    """
    changed, added_kg, added_tli = apply_storage(
        scenario, element_id, capacity_wh, specific_energy_wh_per_kg=specific_energy_wh_per_kg
    )
    element = next(e for e in changed.elements if e.id == element_id)
    carriers = _carriers(changed, element)
    if not carriers:
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
        return _Refusal(
            over,
            f"{element_id} with {capacity_wh / 1000.0:,.0f} kWh of storage "
            f"(+{added_kg:,.0f} kg landed) is {over:,.0f} kg over the TLI capacity of "
            f"its largest allowed launcher"
            + (f" ({biggest.id}, {biggest.capacity_tli_kg:,.0f} kg)" if biggest else ""),
        )
    try:
        new_campaign = _replan(changed, site, campaign, replan_time_limit_s, seed)
    except InputError as error:
        names = ", ".join(lch.id for lch in carriers)
        return _Refusal(
            added_kg,
            f"{element_id} with {capacity_wh / 1000.0:,.0f} kWh of storage "
            f"(+{added_kg:,.0f} kg landed, {element.mass_tli_kg or 0.0:,.0f} kg TLI, "
            f"carried only by {names}) cannot be flown in the campaign: {error}",
        )
    return changed, new_campaign, added_kg, added_tli


def _candidate_launchers(scenario, element) -> list:
    """Launchers a storage unit of ``element`` may fly on: its own and its partner's."""
    own = set(element.allowed_launchers)
    found = [lch for lch in scenario.launchers if lch.id in own or lch.partner == element.partner]
    return found or list(scenario.launchers)


def _available(launcher, element, scenario, as_of: date | None) -> bool:
    """Can ``launcher`` fly inside ``element``'s launch window (and the campaign's)?"""
    latest = min(element.latest_launch or scenario.campaign.end, scenario.campaign.end)
    earliest = max(
        day for day in (element.earliest_launch, as_of, scenario.campaign.start) if day is not None
    )
    if launcher.first_available > latest:
        return False
    return launcher.last_available is None or launcher.last_available >= earliest


def storage_unit_id(element_id: str, number: int) -> str:
    """The id of ``element_id``'s ``number``-th separate storage element."""
    return f"{element_id}-STORAGE-{number}"


def _units_of(scenario, element_id: str) -> list:
    prefix = f"{element_id}-STORAGE-"
    return [e for e in scenario.elements if e.id.startswith(prefix)]


def add_storage_elements(
    scenario: Scenario,
    element_id: str,
    added_wh: float,
    *,
    as_of: date | None = None,
    specific_energy_wh_per_kg: float = STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    land_first: bool = True,
) -> tuple[Scenario, list[str]]:
    """``scenario`` with ``added_wh`` of storage for ``element_id`` flown as separate elements.

    The storage is split into the fewest units each within the landed capacity of the best
    launcher available in the element's window (the element's allowed launchers and its
    partner's, the largest landed capacity); each unit is a notional "energy storage unit" at
    the site of ``added_wh / n`` Wh weighing that over ``specific_energy_wh_per_kg`` landed,
    allowed on the candidate launchers that can carry it, with the element's partner, siting
    precedence (``requires``) and launch window. With ``land_first`` the element requires its
    units (they operate before it does, so the storage is there from its first night);
    without, the units fly independently. Returns ``(scenario, the new units' ids)``.
    """
    if specific_energy_wh_per_kg <= 0:
        raise InputError(
            f"must be > 0, got {specific_energy_wh_per_kg}", field="specific_energy_wh_per_kg"
        )
    if added_wh <= 0:
        raise InputError(f"must be > 0, got {added_wh}", field="added_wh")
    from moonbase.scenario.models import Element

    elements = list(scenario.elements)
    index = next(i for i, e in enumerate(elements) if e.id == element_id)
    element = elements[index]
    candidates = _candidate_launchers(scenario, element)
    available = [lch for lch in candidates if _available(lch, element, scenario, as_of)]
    if not available:
        raise InputError(
            f"no launcher of {element_id} or its partner flies in its launch window",
            field="closure",
        )
    best = max(available, key=lambda lch: lch.landed_capacity_kg)
    total_kg = added_wh / specific_energy_wh_per_kg
    count = max(1, math.ceil(total_kg / best.landed_capacity_kg - 1e-9))
    unit_wh, unit_kg = added_wh / count, total_kg / count
    carriers = [
        lch.id for lch in candidates if unit_kg / lch.landed_fraction <= lch.capacity_tli_kg + 1e-9
    ]
    first = len(_units_of(scenario, element_id)) + 1
    ids = []
    for number in range(first, first + count):
        unit_id = storage_unit_id(element_id, number)
        ids.append(unit_id)
        elements.append(
            Element(
                id=unit_id,
                name=f"{element_id} energy storage unit {number}",
                partner=element.partner,
                role="power",
                location="site",
                landed_mass_kg=unit_kg,
                mass_provenance="notional",
                mass_basis=(
                    f"notional: closure step, {unit_wh / 1000.0:,.0f} kWh of {element_id}'s "
                    f"storage (unit {number - first + 1} of {count}) at "
                    f"{specific_energy_wh_per_kg:g} Wh/kg = {unit_kg:,.0f} kg landed; each unit "
                    f"within {best.id}'s landed capacity ({best.landed_capacity_kg:,.0f} kg)"
                ),
                energy_storage_wh=unit_wh,
                requires=list(element.requires),
                allowed_launchers=carriers,
                earliest_launch=element.earliest_launch,
                latest_launch=element.latest_launch,
                contribution_level=element.contribution_level,
                provenance="notional",
                source=f"closure step: storage {element_id} needs to survive, flown separately",
                note=(
                    "notional energy storage unit on the station's shared battery bus; "
                    + (f"lands before {element_id}" if land_first else "flies independently")
                ),
            )
        )
    if land_first:
        elements[index] = element.model_copy(update={"requires": [*element.requires, *ids]})
    return scenario.model_copy(update={"elements": elements}), ids


def _storage_elements(
    scenario,
    site,
    campaign,
    element_id,
    added_wh,
    *,
    specific_energy_wh_per_kg,
    replan_time_limit_s,
    seed,
):
    """Fly ``added_wh`` as separate units and re-plan: ``(scenario, campaign, kg, TLI kg, ids)``.

    Units that land before the element first; if no campaign flies that, units that fly
    independently (their storage may then arrive after the element's first nights, which the
    twin shows). A string saying why when neither flies.
    """
    reasons = []
    for land_first in (True, False):
        try:
            changed, ids = add_storage_elements(
                scenario,
                element_id,
                added_wh,
                as_of=campaign.as_of,
                specific_energy_wh_per_kg=specific_energy_wh_per_kg,
                land_first=land_first,
            )
            new_campaign = _replan(changed, site, campaign, replan_time_limit_s, seed)
        except InputError as error:
            when = "landing before it" if land_first else "flying independently"
            reasons.append(f"{when}: {error}")
            continue
        units = [e for e in changed.elements if e.id in ids]
        added_kg = sum(e.landed_mass_kg for e in units)
        added_tli = 0.0
        for unit in units:
            launcher = _launcher_of(new_campaign, unit.id)
            if launcher is not None:
                added_tli += unit.tli_mass_on(changed.launcher(launcher))
        return changed, new_campaign, added_kg, added_tli, ids
    return "; ".join(reasons)


def _gap_before_units(scenario, campaign, systems, check, element_id) -> UnmetNeed | None:
    """The shortfall when it lies before ``element_id``'s storage units arrive, else None.

    More storage cannot serve hours before it lands: those hours stay unserved.
    """
    units = _units_of(scenario, element_id)
    when = check.first_short_utc
    if not units or when is None:
        return None
    arrivals = campaign.arrivals()
    days = [arrivals.get(u.id) for u in units]
    if any(day is None for day in days):
        return None
    land = pd.Timestamp(min(days))
    when_naive = _naive(when)
    if when_naive >= land:
        return None
    series = systems.simulation.series
    index = series.index.tz_convert("UTC").tz_localize(None) if series.index.tz else series.index
    step_h = (index[1] - index[0]) / pd.Timedelta(hours=1) if len(index) > 1 else 1.0
    unserved = series["critical_unserved_w"].to_numpy()
    early = (index < land) & (unserved > 1e-9)
    hours = float(early.sum() * step_h)
    kwh = float(unserved[early].sum() * step_h / 1000.0)
    last = index[early][-1] if early.any() else when_naive
    return UnmetNeed(
        "survival energy",
        element_id,
        kwh,
        "kWh",
        f"the shortfall lies before {element_id}'s storage units land ({land.date()}): "
        f"{hours:,.0f} h of survival load unserved from {when_naive:%Y-%m-%d %H:%M} to "
        f"{last:%Y-%m-%d %H:%M} UTC, which no campaign could fly the units before",
    )


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
        gap = _gap_before_units(scenario, campaign, systems, check, element_id)
        if gap is not None:
            unmet.append(gap)
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
        before_date = campaign.basic_model_operating()
        on_element = _storage_on_element(
            scenario,
            site,
            campaign,
            element_id,
            sized.with_margin,
            specific_energy_wh_per_kg=specific_energy_wh_per_kg,
            replan_time_limit_s=replan_time_limit_s,
            seed=seed,
        )
        if isinstance(on_element, _Refusal):
            units = _storage_elements(
                scenario,
                site,
                campaign,
                element_id,
                sized.with_margin - current,
                specific_energy_wh_per_kg=specific_energy_wh_per_kg,
                replan_time_limit_s=replan_time_limit_s,
                seed=seed,
            )
            if isinstance(units, str):
                added_kg = max(sized.with_margin - current, 0.0) / specific_energy_wh_per_kg
                unmet.append(
                    UnmetNeed(
                        "storage mass",
                        element_id,
                        on_element.amount_kg,
                        "kg",
                        f"{on_element.reason}; as separate storage elements "
                        f"({added_kg:,.0f} kg landed in all): {units}",
                    )
                )
                unmet.append(_unmet_shortfall(check, "the storage that would close it cannot fly"))
                break
            changed, new_campaign, added_kg, added_tli, unit_ids = units
            kind = "storage element"
        else:
            changed, new_campaign, added_kg, added_tli = on_element
            unit_ids, kind = (), "storage on element"
        new_systems = run_station(changed, site, new_campaign, seed=seed)
        after = check_survival(new_systems, tolerance_kwh=tolerance_kwh)
        arrivals = new_campaign.arrivals()
        iterations.append(
            ClosureIteration(
                iteration=len(iterations) + 1,
                fix=kind,
                element=element_id,
                component=name,
                capacity_before_wh=current,
                capacity_after_wh=sized.with_margin,
                added_mass_kg=added_kg,
                added_tli_mass_kg=added_tli,
                basic_model_before=before_date,
                basic_model_after=new_campaign.basic_model_operating(),
                launcher_before=_launcher_of(campaign, element_id),
                launcher_after=_launcher_of(new_campaign, element_id),
                critical_energy_not_served_before_kwh=check.critical_energy_not_served_kwh,
                critical_energy_not_served_after_kwh=after.critical_energy_not_served_kwh,
                min_survival_margin_after_h=after.min_survival_margin_h,
                simulations=sized.simulations,
                storage_elements=tuple(unit_ids),
                storage_launchers=tuple(_launcher_of(new_campaign, i) for i in unit_ids),
                storage_arrivals=tuple(arrivals.get(i) for i in unit_ids),
                operating_before=campaign.arrivals().get(element_id),
                operating_after=arrivals.get(element_id),
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


def _replan(scenario, site, campaign, time_limit_s: float, seed: int):
    """The campaign of a changed design, as of the same date, without its Monte Carlo."""
    return plan_campaign(
        scenario, site, as_of=campaign.as_of, time_limit_s=time_limit_s, risk=False, seed=seed
    )
