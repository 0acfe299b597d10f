"""Storage fixes: grow an element's storage, or fly it as separate storage elements.

Both change the design (masses, and for separate units new elements the element requires) and
re-plan the campaign with the changed design (:func:`replan`), without its Monte Carlo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from moonbase.campaign.stage import CampaignOutcome, replan_campaign
from moonbase.closure.records import MARGIN_TOLERANCE_H, UnmetNeed
from moonbase.closure.survival import _naive
from moonbase.errors import InputError

if TYPE_CHECKING:
    from moonbase.scenario.models import Scenario

__all__ = [
    "STORAGE_SPECIFIC_ENERGY_WH_PER_KG",
    "add_storage_elements",
    "apply_storage",
    "replan",
    "storage_unit_id",
]

#: Notional system-level specific energy of added Li-ion storage (Wh per kg of battery: cells,
#: housing, thermal control, electronics and harness). Derived: commercial Li-ion power cells
#: reach about 240-250 Wh/kg at cell level, and cells make about 60-65 % of a pack's mass (the
#: rest housing, structure, electronics and cables), so 250 x 0.65 = 162 Wh/kg, rounded to
#: 160 Wh/kg, inside the 150-200 Wh/kg usually quoted for packs at system level.
STORAGE_SPECIFIC_ENERGY_WH_PER_KG = 160.0


def apply_storage(
    scenario: Scenario,
    element_id: str,
    capacity_wh: float,
    *,
    specific_energy_wh_per_kg: float = STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    delivered_fraction: float | None = None,
) -> tuple[Scenario, float, float]:
    """``scenario`` with ``element_id``'s storage at ``capacity_wh`` and its masses grown.

    Returns ``(scenario, added landed kg, added TLI kg)``. The added storage weighs
    ``added_wh / specific_energy_wh_per_kg`` landed; the TLI mass grows by that over the
    element's landed fraction (``delivered_fraction`` where given, as at the orbit node; else
    landed / TLI mass where both are given, else the mean landed fraction of its allowed
    launchers). An element with only a landed mass grows that alone.
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
        fraction = delivered_fraction or _landed_fraction(scenario, e)
        added_tli = added_kg / fraction
        update["mass_tli_kg"] = e.mass_tli_kg + added_tli
    note = (
        f"closure: +{added_wh / 1000.0:,.0f} kWh storage "
        f"(+{added_kg:,.0f} kg at {specific_energy_wh_per_kg:g} Wh/kg)"
    )
    update["mass_basis"] = f"{e.mass_basis}; {note}" if e.mass_basis else note
    elements[index] = e.model_copy(update=update)
    return scenario.model_copy(update={"elements": elements}), added_kg, added_tli


def element_at(scenario, element_id: str):
    """The scenario's element ``element_id``."""
    return next(e for e in scenario.elements if e.id == element_id)


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
        scenario,
        element_id,
        capacity_wh,
        specific_energy_wh_per_kg=specific_energy_wh_per_kg,
        delivered_fraction=getattr(site, "delivered_fraction", None),
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
        new_campaign = replan(changed, site, campaign, replan_time_limit_s, seed)
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
    delivered_fraction: float | None = None,
) -> tuple[Scenario, list[str]]:
    """``scenario`` with ``added_wh`` of storage for ``element_id`` flown as separate elements.

    The storage is split into the fewest units each within the landed capacity of the best
    launcher available in the element's window (the element's allowed launchers and its
    partner's, the largest landed capacity); each unit is a notional "energy storage unit" at
    the site of ``added_wh / n`` Wh weighing that over ``specific_energy_wh_per_kg`` landed,
    allowed on the candidate launchers that can carry it, with the element's partner, siting
    precedence (``requires``) and launch window. With ``land_first`` the element requires its
    units (they operate before it does, so the storage is there from its first night);
    without, the units fly independently. An element at the orbit node gets units at the node,
    each a TLI mass of its storage over ``delivered_fraction`` (the node's, which replaces the
    launchers' landed fraction). Returns ``(scenario, the new units' ids)``.
    """
    if element_at(scenario, element_id).location == "node" and not delivered_fraction:
        raise InputError(
            f"{element_id} is at the orbit node: give the node's delivered_fraction",
            field="delivered_fraction",
        )
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

    def fraction(launcher) -> float:
        return delivered_fraction or launcher.landed_fraction

    best = max(available, key=lambda lch: lch.capacity_tli_kg * fraction(lch))
    best_kg = best.capacity_tli_kg * fraction(best)
    total_kg = added_wh / specific_energy_wh_per_kg
    count = max(1, math.ceil(total_kg / best_kg - 1e-9))
    unit_wh, unit_kg = added_wh / count, total_kg / count
    carriers = [
        lch.id for lch in candidates if unit_kg / fraction(lch) <= lch.capacity_tli_kg + 1e-9
    ]
    at_node = element.location == "node"
    mass = {"mass_tli_kg": unit_kg / delivered_fraction} if at_node else {"landed_mass_kg": unit_kg}
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
                location=element.location,
                mass_provenance="notional",
                mass_basis=(
                    f"notional: closure step, {unit_wh / 1000.0:,.0f} kWh of {element_id}'s "
                    f"storage (unit {number - first + 1} of {count}) at "
                    f"{specific_energy_wh_per_kg:g} Wh/kg = {unit_kg:,.0f} kg delivered; each "
                    f"unit within {best.id}'s capacity there ({best_kg:,.0f} kg)"
                ),
                **mass,
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
                delivered_fraction=getattr(site, "delivered_fraction", None),
            )
            new_campaign = replan(changed, site, campaign, replan_time_limit_s, seed)
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


def replan(scenario, site, campaign, time_limit_s: float, seed: int):
    """The campaign of a changed design, as of the same date on the same landing calendar,
    without its Monte Carlo (:func:`moonbase.campaign.stage.replan_campaign`)."""
    return replan_campaign(scenario, campaign, time_limit_s=time_limit_s)


@dataclass(frozen=True)
class Fix:
    """A change to the design and its re-planned campaign, before the twin runs again."""

    kind: str  # "storage on element", "storage element", "earlier power", "logistics flight"
    element: str
    scenario: Scenario
    campaign: CampaignOutcome
    component: str | None = None
    capacity_before_wh: float = 0.0
    capacity_after_wh: float = 0.0
    added_kg: float = 0.0
    added_tli_kg: float = 0.0
    new_elements: tuple[str, ...] = ()
    simulations: int = 0
    considered: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()
    need_by: date | None = None


def storage_fix(
    scenario,
    site,
    campaign,
    systems,
    check,
    *,
    margin,
    specific_energy_wh_per_kg,
    tolerance_kwh,
    replan_time_limit_s,
    seed,
) -> Fix | list[UnmetNeed]:
    """Size the storage ``check``'s first shortfall needs and change the design to carry it.

    Storage on the element first, else separate storage elements (module docstring of
    :mod:`moonbase.closure`); the unmet needs when neither can be sized or flown.
    """
    from moonbase.closure.survival import _unmet_shortfall, _with_battery, storage_to_size
    from moonbase.systems.sizing import size_component

    try:
        element_id, name = storage_to_size(systems, check)
        if not any(e.id == element_id for e in scenario.elements):
            raise InputError(f"{element_id!r} is not an element of the scenario")
    except InputError as error:
        return [_unmet_shortfall(check, f"no storage to size: {error}")]
    gap = _gap_before_units(scenario, campaign, systems, check, element_id)
    if gap is not None:
        return [gap]
    station = _with_battery(systems, element_id, name)
    current = station.get(name).capacity_wh
    try:
        sized = size_component(
            station,
            systems.simulation.drivers,
            name,
            margin=margin,
            tolerance_kwh=tolerance_kwh,
            min_margin_h=MARGIN_TOLERANCE_H,
            failures=True,
            seed=seed,
        )
    except InputError as error:
        return [_unmet_shortfall(check, f"sizing {name} failed: {error}")]
    if sized.with_margin <= current * (1.0 + 1e-9):
        return [
            _unmet_shortfall(
                check,
                f"more storage on {name} does not help (sized {sized.with_margin:,.0f} Wh, "
                f"has {current:,.0f} Wh)",
            )
        ]
    common = {
        "element": element_id,
        "component": name,
        "capacity_before_wh": current,
        "capacity_after_wh": sized.with_margin,
        "simulations": sized.simulations,
    }
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
    if not isinstance(on_element, _Refusal):
        changed, new_campaign, added_kg, added_tli = on_element
        return Fix(
            "storage on element",
            scenario=changed,
            campaign=new_campaign,
            added_kg=added_kg,
            added_tli_kg=added_tli,
            **common,
        )
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
        return [
            UnmetNeed(
                "storage mass",
                element_id,
                on_element.amount_kg,
                "kg",
                f"{on_element.reason}; as separate storage elements "
                f"({added_kg:,.0f} kg landed in all): {units}",
            ),
            _unmet_shortfall(check, "the storage that would close it cannot fly"),
        ]
    changed, new_campaign, added_kg, added_tli, unit_ids = units
    return Fix(
        "storage element",
        scenario=changed,
        campaign=new_campaign,
        added_kg=added_kg,
        added_tli_kg=added_tli,
        new_elements=tuple(unit_ids),
        **common,
    )
