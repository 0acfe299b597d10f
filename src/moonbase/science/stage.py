"""The science stage of the plan: the partners' experiments against the station that runs.

:func:`schedule_programme` takes the scenario's requests and entitlements, the resources that the
systems stage's station offers (spare power, downlink, its terminals' buffer, crew and robot time,
the cell's sunlit and Earth-in-view windows) and the campaign stage's arrivals (each element's
``element:`` window opens on the day it operates), and schedules them, the greedy baseline
reported beside the adopted schedule.

Experiments hosted by an element that is not at the station (``requires`` names an element whose
``location`` is not ``"site"``, such as Chang'e-8's payloads on the Leibnitz-Beta plateau) do not
use the station's power, downlink or crew: they are left out of the station's programme and
listed with the reason (:attr:`ScienceResult.off_station`,
:func:`moonbase.science.adapters.off_station_experiments`).

Fairness is on: one band over the whole span (the span is the one fairness period, as the
summary's shares are), every partner within ``fairness_tolerance`` (2 points) of its
entitlement capped at its demand (:func:`moonbase.science.shares.demand_capped_entitlements`:
the demand is what the station could serve of the partner alone, :func:`servable_demand`; the
supply is estimated by the better greedy schedule without fairness). A partner that asks for
less than its share of what the station delivers is thereby entitled to all it asked for.

The solver is chosen by size: CP-SAT on the whole model for at most :data:`CPSAT_MAX_RUNS` runs,
else the window-by-window CP-SAT search (:func:`moonbase.science.rolling.schedule_rolling`),
both within ``time_limit_s``. Of that schedule, the fair greedy's and the greedy's, the plan
adopts one that passes :func:`moonbase.science.checker.check_schedule`, then the one least
outside the band (:func:`moonbase.science.solution.band_excess`), then the most valuable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from moonbase.science.instance import Instance, build_instance, unreachable_runs
from moonbase.science.models import SchedulingProblem
from moonbase.science.solution import Schedule, SchedulerConfig

if TYPE_CHECKING:
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.scenario.models import Scenario
    from moonbase.systems.stage import StationRun

__all__ = [
    "CPSAT_MAX_RUNS",
    "ScienceResult",
    "schedule_fairly",
    "schedule_programme",
    "servable_demand",
]

#: Above this many runs the science stage searches window by window instead of one CP-SAT model.
CPSAT_MAX_RUNS = 300


@dataclass(frozen=True)
class ScienceResult:
    """The scheduled programme: the instance, the schedules by solver, the one plan's schedule."""

    instance: Instance
    schedules: dict[str, Schedule]
    chosen: str = "cpsat"
    #: ``(experiment id, reason)`` of the scenario's experiments left out of the station's
    #: programme: hosted on an element away from the station.
    off_station: tuple[tuple[str, str], ...] = ()
    #: The scenario's entitlements ``(P,)`` before the fairness rule capped them at demand
    #: (None: the instance's entitlements are the scenario's).
    scenario_entitlement: np.ndarray | None = None

    @property
    def schedule(self) -> Schedule:
        """The schedule the plan adopts (``chosen``)."""
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
        unit); ``unmet_requests``: those runs, plus the runs of its requests rejected outright;
        ``unservable_requests``: the part of them no schedule could place even with the station
        to the partner alone (:func:`moonbase.science.instance.unreachable_runs`: asked for
        beyond the span), plus the rejected ones.
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
        unservable = np.bincount(instance.job_partner[unreachable_runs(instance)], minlength=n)
        by_request = {r.id: r for r in instance.problem.requests}
        index = {p: i for i, p in enumerate(instance.partner_ids)}
        for rejection in instance.rejections:
            request = by_request.get(rejection.request_id)
            if request is not None and request.partner in index:
                unmet_runs[index[request.partner]] += request.repeats
                unservable[index[request.partner]] += request.repeats
        total = asked.sum()
        contract = (
            instance.entitlement if self.scenario_entitlement is None else self.scenario_entitlement
        )
        out = {}
        for i, partner in enumerate(instance.partner_ids):
            out[partner] = {
                "entitlement_percent": 100.0 * float(contract[i]),
                "fair_share_percent": 100.0 * float(instance.entitlement[i]),
                "delivered_percent": 100.0 * float(delivered[partner][0]),
                "requested_percent": 100.0 * float(requested[i]),
                "unmet_requests": int(unmet_runs[i]),
                "unservable_requests": int(unservable[i]),
                "unmet_percent": 100.0 * float(unmet[i] / total) if total > 0 else 0.0,
            }
        return out

    def data_made_gbit(self) -> float:
        """Data the adopted schedule's runs make: the sum of their ``data_volume_gbit``."""
        by_id = {r.id: r for r in self.instance.requests}
        return float(sum(by_id[a.request_id].data_volume_gbit for a in self.schedule.assignments))

    def data_sent_gbit(self) -> float:
        """Data the adopted schedule sends down within the span, by the scheduler's own model.

        The data made less what is still in the buffer at the end of the last bucket (the
        levels of :mod:`moonbase.science.buffer` on the per-bucket downlink and the runs'
        per-bucket data, whole Mbit rounded up per run and bucket).
        """
        from moonbase.science.buffer import levels
        from moonbase.science.solution import job_starts, resource_use

        made = self.data_made_gbit()
        instance = self.instance
        if "downlink_mbit" not in instance.resource_names or not self.schedule.assignments:
            return made
        r = instance.resource_names.index("downlink_mbit")
        starts = job_starts(instance, self.schedule)
        use = resource_use(instance, starts, np.flatnonzero(starts >= 0))[r]
        left = levels(instance.capacity[r] - use)
        return max(made - float(left[-1]) / 1000.0, 0.0)

    def data_sent_tolerance_gbit(self) -> float:
        """How far the twin's science data delivered may lie from :meth:`data_sent_gbit`.

        The rounding of the daily buckets: the scheduler rounds each run's data per bucket up
        to a whole Mbit (at most 1 Mbit per run and bucket), and it lets a bucket's data use
        the whole bucket's downlink while the twin, hour by hour, sends data only after they
        are made, so data made late in the last bucket may still wait on board when the span
        ends (at most the schedule's data in its last bucket).
        """
        from moonbase.science.solution import job_starts, resource_use

        instance = self.instance
        run_buckets = sum(a.duration_buckets for a in self.schedule.assignments)
        last = 0.0
        if "downlink_mbit" in instance.resource_names and self.schedule.assignments:
            r = instance.resource_names.index("downlink_mbit")
            starts = job_starts(instance, self.schedule)
            last = float(resource_use(instance, starts, np.flatnonzero(starts >= 0))[r][-1])
        return (run_buckets + last) / 1000.0

    def station_load(self, name: str = "science", priority: int = 4):
        """The adopted schedule's runs as one :class:`~moonbase.systems.ScheduledLoad`.

        Each run draws its request's ``power_w`` for its ``duration_h`` from the start of its
        first bucket, makes its ``data_volume_gbit`` evenly over those hours and uses its
        ``consumables_kg_per_run`` from the science stock as it starts; ``priority``
        is its place in the twin's shedding order (4: shed before the other loads).
        """
        from moonbase.systems.components import LoadRun, ScheduledLoad

        by_id = {r.id: r for r in self.instance.requests}
        runs = []
        for a in self.schedule.assignments:
            request = by_id[a.request_id]
            runs.append(
                LoadRun(
                    start_utc=a.start_utc,
                    duration_h=request.duration_h,
                    power_w=request.power_w,
                    data_volume_gbit=request.data_volume_gbit,
                    consumables_kg=request.consumables_kg_per_run,
                    label=f"{a.request_id}#{a.repeat}",
                )
            )
        return ScheduledLoad(name=name, runs=runs, priority=priority)

    def share_table(self) -> pd.DataFrame:
        """Entitlement and delivered share per partner, one column per schedule."""
        from moonbase.science.report import share_table

        return share_table(self.instance, self.schedules)

    def section(self):
        """The report's science section."""
        from moonbase.science.report import science_section

        adopted_first = {self.chosen: self.schedule} | {
            k: v for k, v in self.schedules.items() if k != self.chosen
        }
        section = science_section(self.instance, adopted_first)
        if self.off_station:
            section.paragraphs[0] += (
                " Left out of the station's programme, hosted away from the station: "
                + "; ".join(f"{eid} ({why})" for eid, why in self.off_station)
                + "."
            )
        line = (
            f" The adopted schedule's runs make {self.data_made_gbit():,.1f} Gbit of data and, "
            f"by the scheduler's daily buckets, send {self.data_sent_gbit():,.1f} Gbit down "
            "within the span."
        )
        section.paragraphs[0] = section.paragraphs[0] + line
        return section


def schedule_programme(
    scenario: Scenario,
    systems: StationRun,
    campaign: CampaignOutcome,
    *,
    time_limit_s: float = 30.0,
    workers: int | None = None,
    fairness_tolerance: float = 0.02,
    location: str = "site",
    hostless: bool = True,
) -> ScienceResult:
    """Schedule the scenario's experiments on ``systems``' station as ``campaign`` builds it.

    ``systems`` is a :class:`~moonbase.systems.stage.StationRun`, ``campaign`` a
    :class:`~moonbase.campaign.stage.CampaignOutcome`; the station is at ``location``
    (``"site"``, or ``"node"`` for the orbit node). Experiments hosted away from it are left
    out (and, without ``hostless``, those hosted by no element); the rest are scheduled by
    :func:`schedule_fairly`.
    """
    from moonbase.science.adapters import (
        off_station_experiments,
        requests_from_scenario,
        resources_from_systems,
        with_element_windows,
    )

    off = off_station_experiments(scenario, location, hostless=hostless)
    partners, requests = requests_from_scenario(scenario)
    requests = tuple(r for r in requests if r.id not in off)
    resources = resources_from_systems(systems.simulation)
    resources = with_element_windows(resources, scenario, campaign.arrivals())
    problem = SchedulingProblem(partners=partners, requests=requests, resources=resources)
    result = schedule_fairly(
        problem, time_limit_s=time_limit_s, workers=workers, fairness_tolerance=fairness_tolerance
    )
    return replace(result, off_station=tuple(sorted(off.items())))


def schedule_fairly(
    problem: SchedulingProblem,
    *,
    time_limit_s: float = 30.0,
    workers: int | None = None,
    fairness_tolerance: float = 0.02,
) -> ScienceResult:
    """Schedule ``problem`` with the stage's fairness rule and choice of solver (module docstring).

    The instance's entitlements are the partners' entitlements capped at their demand
    (:func:`moonbase.science.shares.demand_capped_entitlements`): a partner's demand is what the
    station could serve of it alone (:func:`servable_demand`), the supply what the better greedy
    schedule without fairness serves of everyone's; the band holds over the whole span.
    """
    from moonbase.science.checker import check_schedule
    from moonbase.science.cpsat import schedule_cpsat
    from moonbase.science.greedy import schedule_greedy
    from moonbase.science.priced import better_greedy_starts
    from moonbase.science.rolling import schedule_rolling
    from moonbase.science.shares import demand_capped_entitlements
    from moonbase.science.solution import band_excess, job_starts

    instance = build_instance(problem)
    scenario_entitlement = instance.entitlement.copy()
    supply = float(instance.utilisation[better_greedy_starts(instance) >= 0].sum())
    servable = servable_demand(instance)
    instance = replace(
        instance, entitlement=demand_capped_entitlements(instance.entitlement, servable, supply)
    )
    span_days = instance.n_buckets * instance.bucket_hours / 24.0
    config = SchedulerConfig(
        time_limit_s=time_limit_s,
        fairness="band",
        fairness_tolerance=fairness_tolerance,
        fairness_period_days=span_days + 1.0,
    )
    if workers is not None:
        config = config.model_copy(update={"workers": workers})
    if instance.n_jobs <= CPSAT_MAX_RUNS:
        schedules = {"cpsat": schedule_cpsat(instance, config)}
    else:
        schedules = {"cpsat-rolling": schedule_rolling(instance, config)}
    schedules["greedy-fair"] = schedule_greedy(instance, fair=True)
    schedules["greedy"] = schedule_greedy(instance)

    def rank(name: str):
        schedule = schedules[name]
        fits = not check_schedule(problem, schedule)
        excess = band_excess(instance, job_starts(instance, schedule), config)
        return (fits, -excess, schedule.value)

    return ScienceResult(
        instance,
        schedules,
        chosen=max(schedules, key=rank),
        scenario_entitlement=scenario_entitlement,
    )


def servable_demand(instance: Instance) -> np.ndarray:
    """Per partner, the utilisation the greedy rule places of its runs on the station alone.

    What a partner asks for may be more than the station could ever give it, even with nobody
    else on board (its runs chain one after another, its windows are short): this is the demand
    that the fairness rule caps an entitlement at.
    """
    from moonbase.science.greedy import _order, _place

    preds = instance.predecessors()
    order = _order(instance)
    out = np.zeros(len(instance.partner_ids))
    for i in np.unique(instance.job_partner):
        residual = instance.capacity.copy()
        starts = np.full(instance.n_jobs, -1, dtype=np.int64)
        for j in order[instance.job_partner[order] == i]:
            _place(instance, residual, starts, int(j), preds)
        out[i] = float(instance.utilisation[starts >= 0].sum())
    return out
