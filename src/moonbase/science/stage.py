"""The science stage of the plan: the partners' experiments against the station that runs.

:func:`schedule_programme` takes the scenario's requests and entitlements, the resources that the
systems stage's station offers (spare power, downlink, its terminals' buffer, crew and robot time,
the cell's sunlit and Earth-in-view windows) and the campaign stage's arrivals (each element's
``element:`` window opens on the day it operates), and schedules them with CP-SAT, hinted by and
never worse than the greedy baseline, which is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from moonbase.science.instance import Instance, build_instance
from moonbase.science.models import SchedulingProblem
from moonbase.science.solution import Schedule, SchedulerConfig

if TYPE_CHECKING:
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.scenario.models import Scenario
    from moonbase.systems.stage import StationRun

__all__ = ["ScienceResult", "schedule_programme"]


@dataclass(frozen=True)
class ScienceResult:
    """The scheduled programme: the instance, the schedules by solver, the one plan's schedule."""

    instance: Instance
    schedules: dict[str, Schedule]
    chosen: str = "cpsat"

    @property
    def schedule(self) -> Schedule:
        """The schedule the plan adopts (CP-SAT's)."""
        return self.schedules[self.chosen]

    def shares(self) -> dict[str, dict[str, float]]:
        """Per partner: entitlement, delivered, requested and unmet share of utilisation.

        Delivered: the adopted schedule's utilisation of the partner over everyone's
        (:func:`moonbase.science.solution.delivered_shares`); requested: the same for every run
        the partner asked for (scheduled or not); entitlement: the scenario's rule
        (:func:`moonbase.science.shares.entitlements_from_scenario`); NaN where none. All
        three are :func:`moonbase.science.shares.shares_of`, the one share rule, in percent.
        ``unmet_percent``: the utilisation of the partner's runs left unscheduled, in percent of
        everyone's requested utilisation (so ``requested = delivered-part + unmet`` in one
        unit); ``unmet_requests``: those runs, plus the runs of its requests rejected outright.
        """
        from moonbase.science.shares import shares_of
        from moonbase.science.solution import delivered_shares, job_starts

        instance = self.instance
        delivered = delivered_shares(instance, self.schedule)
        n = len(instance.partner_ids)
        asked = np.zeros(n)
        np.add.at(asked, instance.job_partner, instance.utilisation)
        requested = shares_of(asked)  # the one share rule (moonbase.science.shares)
        left = job_starts(instance, self.schedule) < 0
        unmet = np.zeros(n)
        np.add.at(unmet, instance.job_partner[left], instance.utilisation[left])
        unmet_runs = np.bincount(instance.job_partner[left], minlength=n)
        by_request = {r.id: r for r in instance.problem.requests}
        index = {p: i for i, p in enumerate(instance.partner_ids)}
        for rejection in instance.rejections:
            request = by_request.get(rejection.request_id)
            if request is not None and request.partner in index:
                unmet_runs[index[request.partner]] += request.repeats
        total = asked.sum()
        out = {}
        for i, partner in enumerate(instance.partner_ids):
            out[partner] = {
                "entitlement_percent": 100.0 * float(instance.entitlement[i]),
                "delivered_percent": 100.0 * float(delivered[partner][0]),
                "requested_percent": 100.0 * float(requested[i]),
                "unmet_requests": int(unmet_runs[i]),
                "unmet_percent": 100.0 * float(unmet[i] / total) if total > 0 else 0.0,
            }
        return out

    def share_table(self) -> pd.DataFrame:
        """Entitlement and delivered share per partner, one column per schedule."""
        from moonbase.science.report import share_table

        return share_table(self.instance, self.schedules)

    def section(self):
        """The report's science section."""
        from moonbase.science.report import science_section

        return science_section(self.instance, self.schedules)


def schedule_programme(
    scenario: Scenario,
    systems: StationRun,
    campaign: CampaignOutcome,
    *,
    time_limit_s: float = 30.0,
    workers: int | None = None,
) -> ScienceResult:
    """Schedule the scenario's experiments on ``systems``' station as ``campaign`` builds it.

    ``systems`` is a :class:`~moonbase.systems.stage.StationRun`, ``campaign`` a
    :class:`~moonbase.campaign.stage.CampaignOutcome`.
    """
    from moonbase.science.adapters import (
        requests_from_scenario,
        resources_from_systems,
        with_element_windows,
    )
    from moonbase.science.cpsat import schedule_cpsat
    from moonbase.science.greedy import schedule_greedy

    partners, requests = requests_from_scenario(scenario)
    resources = resources_from_systems(systems.simulation)
    resources = with_element_windows(resources, scenario, campaign.arrivals())
    problem = SchedulingProblem(partners=partners, requests=requests, resources=resources)
    instance = build_instance(problem)
    config = SchedulerConfig(time_limit_s=time_limit_s)
    if workers is not None:
        config = config.model_copy(update={"workers": workers})
    schedules = {
        "cpsat": schedule_cpsat(instance, config),
        "greedy": schedule_greedy(instance),
    }
    return ScienceResult(instance, schedules)
