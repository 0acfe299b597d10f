"""The closure loop: check the supplied station, fix the first need, re-plan, run again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moonbase.closure.power import earlier_power_fix
from moonbase.closure.records import Closure, ClosureIteration, UnmetNeed
from moonbase.closure.resupply import resupply_fix, stock_unmet
from moonbase.closure.storage import (
    STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    Fix,
    _launcher_of,
    storage_fix,
)
from moonbase.closure.survival import _unmet_shortfall, check_survival
from moonbase.logistics.commodities import CRITICAL
from moonbase.logistics.stage import Logistics, supply, supply_station

if TYPE_CHECKING:
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.scenario.models import Scenario
    from moonbase.site.stage import SiteChoice
    from moonbase.systems.stage import StationRun

__all__ = ["close_station", "stock_shortfalls"]


def stock_shortfalls(logistics: Logistics, systems: StationRun) -> tuple:
    """The critical stores short: what no manifest can carry, else what the twin finds short."""
    planned = tuple(s for s in logistics.manifests.shortfalls if s.commodity in CRITICAL)
    return planned or logistics.check(systems)


def close_station(
    scenario: Scenario,
    site: SiteChoice,
    campaign: CampaignOutcome,
    systems: StationRun,
    logistics: Logistics | None = None,
    *,
    max_iterations: int = 5,
    margin: float = 0.2,
    specific_energy_wh_per_kg: float = STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    tolerance_kwh: float = 1e-6,
    replan_time_limit_s: float = 10.0,
    seed: int = 0,
) -> Closure:
    """Fix the station until it survives and its stores hold, re-planning (:mod:`moonbase.closure`).

    ``systems`` is the twin of ``campaign`` at ``site``'s cell with ``logistics``' manifests on
    board (:func:`moonbase.logistics.supply_station`); without ``logistics``, ``systems`` is
    the twin without manifests and they are made here. Each fix re-plans the campaign in
    ``replan_time_limit_s`` without its Monte Carlo and supplies and runs the twin again
    (``seed``); a battery is sized with ``margin``
    (:func:`~moonbase.systems.sizing.size_component`).
    """
    if logistics is None:
        systems, logistics = supply(systems, scenario, campaign, site)
    initial = check = check_survival(systems, tolerance_kwh=tolerance_kwh)
    initial_short = short = stock_shortfalls(logistics, systems)
    iterations: list[ClosureIteration] = []
    unmet: list[UnmetNeed] = []
    options = {"replan_time_limit_s": replan_time_limit_s, "seed": seed}
    while not check.survives or short:
        if len(iterations) >= max_iterations:
            reason = f"the iteration limit ({max_iterations}) was reached"
            if not check.survives:
                unmet.append(_unmet_shortfall(check, reason))
            unmet += stock_unmet(short, reason)
            break
        considered: tuple[str, ...] = ()
        if not check.survives:
            fix, considered = earlier_power_fix(scenario, site, campaign, check, **options)
            if fix is None:
                fix = storage_fix(
                    scenario,
                    site,
                    campaign,
                    systems,
                    check,
                    margin=margin,
                    specific_energy_wh_per_kg=specific_energy_wh_per_kg,
                    tolerance_kwh=tolerance_kwh,
                    **options,
                )
        else:
            fix = resupply_fix(scenario, site, campaign, short, **options)
        if not isinstance(fix, Fix):
            unmet += fix
            break
        new_systems, new_logistics = supply_station(fix.scenario, site, fix.campaign, seed=seed)
        after = check_survival(new_systems, tolerance_kwh=tolerance_kwh)
        iterations.append(_iteration(len(iterations) + 1, fix, campaign, check, after, considered))
        scenario, campaign, systems, logistics = (
            fix.scenario,
            fix.campaign,
            new_systems,
            new_logistics,
        )
        check, short = after, stock_shortfalls(new_logistics, new_systems)
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
        logistics,
        tuple(initial_short),
        tuple(short),
    )


def _iteration(number, fix: Fix, before, check, after, considered) -> ClosureIteration:
    """The record of ``fix`` (the campaign ``before`` it, the checks before and after)."""
    arrivals = fix.campaign.arrivals()
    element_before = before.arrivals().get(fix.element)
    return ClosureIteration(
        iteration=number,
        fix=fix.kind,
        element=fix.element,
        component=fix.component,
        capacity_before_wh=fix.capacity_before_wh,
        capacity_after_wh=fix.capacity_after_wh,
        added_mass_kg=fix.added_kg,
        added_tli_mass_kg=fix.added_tli_kg,
        basic_model_before=before.basic_model_operating(),
        basic_model_after=fix.campaign.basic_model_operating(),
        launcher_before=_launcher_of(before, fix.element),
        launcher_after=_launcher_of(fix.campaign, fix.element),
        critical_energy_not_served_before_kwh=check.critical_energy_not_served_kwh,
        critical_energy_not_served_after_kwh=after.critical_energy_not_served_kwh,
        min_survival_margin_after_h=after.min_survival_margin_h,
        simulations=fix.simulations,
        added_elements=fix.new_elements,
        added_launchers=tuple(_launcher_of(fix.campaign, i) for i in fix.new_elements),
        added_arrivals=tuple(arrivals.get(i) for i in fix.new_elements),
        operating_before=element_before,
        operating_after=arrivals.get(fix.element),
        commodities=fix.commodities,
        need_by=fix.need_by,
        considered=considered,
    )
