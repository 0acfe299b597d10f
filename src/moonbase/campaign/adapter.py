"""From a scenario (:mod:`moonbase.scenario`) to the planner's :class:`CampaignInstance`.

Mapping (and what is assumed where the scenario is silent):

* planned elements are scheduled; flown ones operate from ``launched_on``; failed ones are
  dropped. ``location == "site"`` elements land at the site (daylight rule applies); orbit and
  "elsewhere" elements do not.
* an element with only a TLI mass keeps it (``mass_tli_kg``); its landed mass for tables is
  TLI x the mean landed fraction of its allowed launchers.
* launcher cadence per year is rounded down to a whole number (at least 1); a missing launch
  cost counts as 0.
* the landing-daylight calendar is the site stage's when given (the chosen cell's terrain light,
  :func:`moonbase.campaign.calendar.daylight_by_bucket`); without one it is computed with a flat
  horizon at the scenario site (:func:`moonbase.campaign.landing_daylight_calendar`), for
  standalone campaign runs.
* ``as_of``: elements flown or failed by then are history; nothing launches before it.
"""

from __future__ import annotations

import math
from datetime import date

from moonbase.campaign.calendar import bucket_starts, landing_daylight_calendar
from moonbase.campaign.model import (
    CampaignConfig,
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
)
from moonbase.errors import InputError

__all__ = ["instance_from_scenario", "is_history"]


def is_history(element, as_of: date | None) -> bool:
    """Has ``element`` flown or failed on or before ``as_of`` (always, without a date)?

    An element recorded as flown or failed after ``as_of`` is still to fly as of that date.
    """
    if element.state == "planned":
        return False
    if as_of is None or element.launched_on is None:
        return True
    return element.launched_on <= as_of


def instance_from_scenario(
    scenario,
    *,
    config: CampaignConfig | None = None,
    as_of: date | None = None,
    daylight_fraction: list[float] | None = None,
) -> CampaignInstance:
    """Build the planner's instance from a validated scenario (see the module docstring).

    ``as_of``: the plan's date. Elements flown or failed before it are history (flown ones
    operate from their launch, failed ones are dropped); everything else is planned, and no
    launch falls before the first bucket that starts on or after ``as_of``.
    ``daylight_fraction``: the landing-daylight calendar, one value per bucket, from the site
    stage (:func:`moonbase.campaign.stage.plan_campaign` passes the chosen cell's terrain light);
    without it the calendar is computed with a flat horizon at the scenario's site.
    """
    policies = scenario.policies
    launchers = [
        CampaignLauncher(
            id=lch.id,
            partner=lch.partner,
            capacity_tli_kg=lch.capacity_tli_kg,
            landed_fraction=lch.landed_fraction,
            cadence_per_year=max(1, math.floor(lch.cadence_per_year + 1e-9)),
            available_from=lch.first_available,
            available_until=lch.last_available,
            cost_musd=lch.cost_per_launch_musd or 0.0,
            reliability_alpha=lch.reliability.alpha,
            reliability_beta=lch.reliability.beta,
        )
        for lch in scenario.launchers
    ]
    by_id = {lch.id: lch for lch in scenario.launchers}
    basic = set(policies.basic_model)
    window = scenario.campaign
    starts = bucket_starts(window.start, window.end, window.bucket)
    history = {e.id: e.state for e in scenario.elements if is_history(e, as_of)}
    dropped = {i for i, state in history.items() if state == "failed"}
    first_open = None if as_of is None else next((d for d in starts if d >= as_of), starts[-1])
    elements = []
    for e in scenario.elements:
        if e.id in dropped:
            continue
        flown = history.get(e.id) == "flown"
        earliest = e.earliest_launch
        if not flown and first_open is not None:
            earliest = first_open if earliest is None else max(earliest, first_open)
        allowed = [by_id[i] for i in e.allowed_launchers] or list(scenario.launchers)
        if e.landed_mass_kg is not None:
            landed = e.landed_mass_kg
        else:
            landed = e.mass_tli_kg * sum(x.landed_fraction for x in allowed) / len(allowed)
        elements.append(
            CampaignElement(
                id=e.id,
                partner=e.partner,
                landed_mass_kg=landed,
                mass_tli_kg=e.mass_tli_kg,
                requires=[r for r in e.requires if r not in dropped],
                needs=list(e.needs),
                provides=list(e.provides),
                allowed_launchers=list(e.allowed_launchers),
                earliest_launch=earliest,
                latest_launch=e.latest_launch,
                lands=e.location == "site",
                basic_model=e.id in basic,
                value=1 + len(e.provides),
                operating_from=e.launched_on if flown else None,
            )
        )
    daylight = None
    if daylight_fraction is not None and policies.landing_requires_daylight:
        if len(daylight_fraction) != len(starts) - 1:
            raise InputError(
                f"the daylight calendar has {len(daylight_fraction)} values for "
                f"{len(starts) - 1} buckets",
                field="daylight_fraction",
            )
        daylight = [float(v) for v in daylight_fraction]
    elif policies.landing_requires_daylight and scenario.site is not None:
        daylight = landing_daylight_calendar(
            starts,
            scenario.site.latitude_deg,
            scenario.site.longitude_deg,
            min_sun_elevation_deg=policies.landing_min_sun_elevation_deg,
        ).tolist()
    objectives = list(policies.objective)
    for extra in ("least_cost", "earliest_launches"):
        if extra not in objectives:
            objectives.append(extra)
    if config is None:
        config = CampaignConfig(
            objectives=objectives,
            capability_deadline=policies.capability_deadline,
            co_manifesting=policies.co_manifesting,
        )
    return CampaignInstance(
        name=scenario.name,
        elements=elements,
        launchers=launchers,
        partners=[
            CampaignPartner(id=p.id, budget_musd_per_year=p.budget_musd_per_year)
            for p in scenario.partners
        ],
        bucket_starts=starts,
        daylight_fraction=daylight,
        basic_model_target=policies.basic_model_target,
        config=config,
    )
