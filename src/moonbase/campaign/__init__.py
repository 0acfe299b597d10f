"""The construction campaign: who flies what, when, and with what risk.

* :class:`CampaignInstance` (elements, launchers, partners, time buckets, landing-daylight
  calendar) is the planner's input; :func:`instance_from_scenario` builds it from a scenario.
* :func:`optimise_campaign` runs the greedy list-scheduling baseline and the CP-SAT model
  (hinted and bounded by the greedy plan) and returns a :class:`CampaignResult`.
* :func:`check_plan` is an independent checker of every constraint.
* :func:`monte_carlo` samples launch failures and slips with a re-flight policy on Dask and
  returns a :class:`RiskResult`.
"""

from moonbase.campaign.adapter import instance_from_scenario
from moonbase.campaign.calendar import bucket_starts, landing_daylight_calendar
from moonbase.campaign.check import check_plan
from moonbase.campaign.figures import gantt_figure, risk_figure
from moonbase.campaign.greedy import greedy_plan
from moonbase.campaign.model import (
    OBJECTIVES,
    CampaignConfig,
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
)
from moonbase.campaign.optimise import CampaignResult, optimise_campaign
from moonbase.campaign.plan import CampaignPlan, Flight, plan_objectives
from moonbase.campaign.risk import RiskConfig, RiskResult, monte_carlo
from moonbase.campaign.synthetic import synthetic_instance

__all__ = [
    "OBJECTIVES",
    "CampaignConfig",
    "CampaignElement",
    "CampaignInstance",
    "CampaignLauncher",
    "CampaignPartner",
    "CampaignPlan",
    "CampaignResult",
    "Flight",
    "RiskConfig",
    "RiskResult",
    "bucket_starts",
    "check_plan",
    "gantt_figure",
    "greedy_plan",
    "instance_from_scenario",
    "landing_daylight_calendar",
    "monte_carlo",
    "optimise_campaign",
    "plan_objectives",
    "risk_figure",
    "synthetic_instance",
]
