"""Scheduler configuration and results (shared by the CP-SAT and greedy schedulers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from moonbase.science.instance import Instance, Rejection
from moonbase.science.shares import shares_of
from moonbase.time import parse_utc_datetime

__all__ = [
    "Assignment",
    "Schedule",
    "SchedulerConfig",
    "band_excess",
    "delivered_shares",
    "fairness_penalty",
    "largest_share_deviation",
    "partner_period_usage",
    "period_of_bucket",
    "resource_use",
    "runs_started",
    "schedule_from_starts",
]


class SchedulerConfig(BaseModel):
    """How to schedule.

    ``fairness``: ``"none"``; ``"band"``, a hard constraint that in every fairness period each
    partner with an entitlement ``e`` gets a delivered share within ``e +/- fairness_tolerance``
    (a partner without enough demand then holds the others back: use ``"penalty"``; the
    re-planners and the window search, which start from a schedule that may miss it, shrink
    the excess outside it before all else, :func:`band_excess`);
    ``"penalty"``, a term ``fairness_weight * sum |U_ip - e_i U_p|`` subtracted from the weighted
    value, with ``U`` counted in average runs: being one average run's utilisation away from
    the entitled amount in one period costs ``fairness_weight`` value points (resolution 0.1).
    Periods are consecutive blocks of ``fairness_period_days`` (see :func:`period_of_bucket`).

    ``work_limit``: CP-SAT's deterministic time limit, in its own work units (one unit took 1 to
    2.5 s of one core on the project's test machine). With ``workers=1`` it makes the result
    reproducible: the same input and ``seed`` give the same schedule on any machine under any
    load. ``time_limit_s`` still applies as a wall-clock limit.
    """

    model_config = ConfigDict(extra="forbid")

    time_limit_s: float = Field(default=30.0, gt=0)
    workers: int = Field(default=2, ge=1)
    relative_gap: float = Field(default=0.0, ge=0.0, le=1.0)
    fairness: Literal["none", "band", "penalty"] = "none"
    fairness_period_days: float = Field(default=365.25, gt=0)
    fairness_tolerance: float = Field(default=0.02, ge=0.0, le=1.0)
    fairness_weight: float = Field(default=1.0, ge=0.0)
    greedy_hint: bool = True
    energy_cuts: bool = True
    work_limit: float | None = Field(default=None, gt=0)
    seed: int = 0
    log: bool = False


class Assignment(BaseModel):
    """One scheduled run."""

    request_id: str
    repeat: int
    partner: str
    start_bucket: int
    duration_buckets: int
    start_utc: str
    end_utc: str


class Schedule(BaseModel):
    """A schedule: the runs, their value, the solver's bound, the rejected requests."""

    solver: str
    status: str
    assignments: list[Assignment]
    value: float  # weighted science value, sum of value * priority
    bound: float | None = None  # upper bound on value (CP-SAT, fairness off) or on the objective
    objective: float | None = None
    objective_bound: float | None = None
    wall_s: float = 0.0
    moved: int | None = None  # re-planning: previously planned runs that moved or were dropped
    fewest_moved: int | None = None  # re-planning: no re-plan moves fewer (where computed)
    # re-planning: where runs under way at the re-planning time use more than the new capacity
    overruns: list[str] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Relative gap between the objective and the solver's bound (0 = proven optimal)."""
        if self.objective is None or self.objective_bound is None:
            return None
        return abs(self.objective_bound - self.objective) / max(abs(self.objective_bound), 1e-9)

    def starts(self) -> dict[tuple[str, int], int]:
        """``{(request_id, repeat): start_bucket}``."""
        return {(a.request_id, a.repeat): a.start_bucket for a in self.assignments}


def _utc(start: datetime, bucket_hours: float, bucket: int) -> str:
    return (start + timedelta(hours=bucket_hours * bucket)).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_from_starts(
    instance: Instance, starts: np.ndarray, *, solver: str, status: str, wall_s: float, **extra
) -> Schedule:
    """Build a :class:`Schedule` from per-job start buckets (``-1`` = not scheduled)."""
    origin = parse_utc_datetime(instance.problem.resources.start_utc, field="start_utc")
    assignments = []
    for j in np.flatnonzero(starts >= 0):
        request = instance.requests[instance.job_request[j]]
        s, d = int(starts[j]), int(instance.duration[j])
        assignments.append(
            Assignment(
                request_id=request.id,
                repeat=int(instance.job_repeat[j]),
                partner=request.partner,
                start_bucket=s,
                duration_buckets=d,
                start_utc=_utc(origin, instance.bucket_hours, s),
                end_utc=_utc(origin, instance.bucket_hours, s + d),
            )
        )
    value = float(instance.weight[starts >= 0].sum()) / 100.0
    return Schedule(
        solver=solver,
        status=status,
        assignments=assignments,
        value=value,
        wall_s=wall_s,
        rejections=list(instance.rejections),
        **extra,
    )


def delivered_shares(
    instance: Instance, schedule: Schedule, *, period_days: float | None = None
) -> dict[str, np.ndarray]:
    """Each partner's delivered share of utilisation per period (whole campaign if None).

    Returns ``{partner: array over periods}``; a period with no utilisation gives NaN.
    Runs count in the period where they start (periods: :func:`period_of_bucket`);
    utilisation units as in :mod:`moonbase.science.instance`.
    """
    table = partner_period_usage(instance, job_starts(instance, schedule), period_days)
    shares = shares_of(table)  # the one share rule (moonbase.science.shares)
    return {pid: shares[i] for i, pid in enumerate(instance.partner_ids)}


def largest_share_deviation(
    instance: Instance, schedule: Schedule, *, period_days: float | None = None
) -> float:
    """The largest ``|delivered share - entitlement|`` over partners with an entitlement and
    periods with some utilisation (:func:`delivered_shares`), as a fraction; 0 if none."""
    shares = delivered_shares(instance, schedule, period_days=period_days)
    worst = 0.0
    for i, partner in enumerate(instance.partner_ids):
        deviation = np.abs(shares[partner] - instance.entitlement[i])
        if np.isfinite(deviation).any():
            worst = max(worst, float(np.nanmax(deviation)))
    return worst


def period_of_bucket(n_buckets: int, bucket_hours: float, period_days: float | None) -> np.ndarray:
    """Fairness period index of every bucket: consecutive blocks of ``period_days``.

    A trailing block shorter than half a period is merged into the one before it (so a
    3,652-day campaign has ten yearly periods, not ten and a two-day stub).
    """
    if period_days is None:
        return np.zeros(n_buckets, dtype=np.int64)
    period = max(1, round(period_days * 24.0 / bucket_hours))
    index = np.arange(n_buckets) // period
    n_periods = index[-1] + 1 if n_buckets else 0
    if n_periods > 1 and n_buckets - (n_periods - 1) * period < period / 2:
        index[index == n_periods - 1] = n_periods - 2
    return index


def partner_period_usage(
    instance: Instance, starts: np.ndarray, period_days: float | None
) -> np.ndarray:
    """Utilisation ``(partners, periods)`` of the runs at ``starts`` (``-1``: left out), each
    counted in the period where it starts."""
    periods = period_of_bucket(instance.n_buckets, instance.bucket_hours, period_days)
    table = np.zeros((len(instance.partner_ids), int(periods[-1]) + 1), dtype=np.int64)
    chosen = starts >= 0
    np.add.at(
        table,
        (instance.job_partner[chosen], periods[starts[chosen]]),
        instance.utilisation[chosen],
    )
    return table


def fairness_penalty(instance: Instance, starts: np.ndarray, config: SchedulerConfig) -> float:
    """The ``"penalty"`` fairness term of ``config`` for the runs at ``starts``, in value points:
    ``fairness_weight * sum over entitled partners and periods of |U_ip - e_i U_p|`` with ``U``
    in average runs (what CP-SAT subtracts, up to its rounding of entitlements); 0 unless
    ``config.fairness == "penalty"``."""
    entitled = np.isfinite(instance.entitlement)
    if config.fairness != "penalty" or not entitled.any():
        return 0.0
    usage = partner_period_usage(instance, starts, config.fairness_period_days).astype(float)
    excess = usage[entitled] - instance.entitlement[entitled, None] * usage.sum(axis=0)
    return config.fairness_weight * float(np.abs(excess).sum()) / 100.0


#: Entitlements and tolerances in units of 1/10,000, as CP-SAT holds them.
SHARE_SCALE = 10_000


def band_excess(instance: Instance, starts: np.ndarray, config: SchedulerConfig) -> int:
    """How far the runs at ``starts`` lie outside the ``"band"`` fairness of ``config``, in
    utilisation units: the sum over entitled partners and periods of ``max(0, |10,000 U_ip -
    e_i U_p| - t U_p) / 10,000`` rounded up, with ``e_i`` and the tolerance ``t`` in units of
    1/10,000 (as CP-SAT rounds them) and ``U`` in utilisation units; 0 when every share lies in
    its band (or fairness is not a band)."""
    entitled = np.flatnonzero(np.isfinite(instance.entitlement))
    if config.fairness != "band" or entitled.size == 0:
        return 0
    usage = partner_period_usage(instance, starts, config.fairness_period_days)
    total = usage.sum(axis=0)
    share = np.round(instance.entitlement[entitled] * SHARE_SCALE).astype(np.int64)[:, None]
    tol = round(config.fairness_tolerance * SHARE_SCALE)
    scaled = SHARE_SCALE * usage[entitled]
    over = np.maximum(0, scaled - (share + tol) * total)
    under = np.maximum(0, (share - tol) * total - scaled)
    return int((-(-over // SHARE_SCALE) + -(-under // SHARE_SCALE)).sum())  # each rounded up


def resource_use(instance: Instance, starts: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Use ``(R, B)`` of every resource (integer units) by ``runs`` placed at ``starts``."""
    diff = np.zeros((len(instance.resource_names), instance.n_buckets + 1), dtype=np.int64)
    demand = instance.demand[runs].T
    np.add.at(diff, (slice(None), starts[runs]), demand)
    np.add.at(diff, (slice(None), starts[runs] + instance.duration[runs]), -demand)
    return np.cumsum(diff[:, :-1], axis=1)


def job_starts(instance: Instance, schedule: Schedule) -> np.ndarray:
    """Per-job start bucket of ``schedule`` in ``instance`` (``-1`` = not scheduled)."""
    lookup = schedule.starts()
    return np.array(
        [
            lookup.get((instance.requests[q].id, int(k)), -1)
            for q, k in zip(instance.job_request, instance.job_repeat, strict=True)
        ],
        dtype=np.int64,
    )


def runs_started(schedule: Schedule, now_bucket: int) -> dict[tuple[str, int], int]:
    """``{(request id, repeat): start bucket}`` of the runs of ``schedule`` that started before
    ``now_bucket`` (done or under way): what a re-plan from ``now_bucket`` must keep."""
    return {
        (a.request_id, a.repeat): a.start_bucket
        for a in schedule.assignments
        if a.start_bucket < now_bucket
    }
