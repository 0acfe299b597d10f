"""From a scenario (:mod:`moonbase.scenario`) to the planner's :class:`CampaignInstance`.

Mapping (and what is assumed where the scenario is silent):

* planned elements are scheduled; flown ones operate from ``launched_on``; failed ones are
  dropped. ``location == "site"`` elements land at the site (daylight rule applies); orbit and
  "elsewhere" elements do not.
* an element with only a TLI mass keeps it (``tli_mass_kg``); its landed mass for tables is
  TLI x the mean landed fraction of its allowed launchers.
* launcher cadence per year is rounded down to a whole number (at least 1); a missing launch
  cost counts as 0.
* the landing-daylight calendar is computed at the scenario site with the policy's minimum Sun
  elevation (:func:`moonbase.campaign.landing_daylight_calendar`) when the policy asks for it.
"""

from __future__ import annotations

import math

from moonbase.campaign.calendar import bucket_starts, landing_daylight_calendar
from moonbase.campaign.model import (
    CampaignConfig,
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
)

__all__ = ["instance_from_scenario"]


def instance_from_scenario(scenario, *, config: CampaignConfig | None = None) -> CampaignInstance:
    """Build the planner's instance from a validated scenario (see the module docstring)."""
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
    dropped = {e.id for e in scenario.elements if e.state == "failed"}
    elements = []
    for e in scenario.elements:
        if e.id in dropped:
            continue
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
                tli_mass_kg=e.mass_tli_kg,
                requires=[r for r in e.requires if r not in dropped],
                needs=list(e.needs),
                provides=list(e.provides),
                allowed_launchers=list(e.allowed_launchers),
                earliest_launch=e.earliest_launch,
                latest_launch=e.latest_launch,
                lands=e.location == "site",
                basic_model=e.id in basic,
                value=1 + len(e.provides),
                operating_from=e.launched_on if e.state == "flown" else None,
            )
        )
    window = scenario.campaign
    starts = bucket_starts(window.start, window.end, window.bucket)
    daylight = None
    if policies.landing_requires_daylight and scenario.site is not None:
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
