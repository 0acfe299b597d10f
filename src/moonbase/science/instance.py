"""From a :class:`SchedulingProblem` to integer jobs, with malformed requests set aside.

Each valid request becomes ``repeats`` *jobs* (one per run). Everything the solvers need is
turned into integers here, once:

* durations in buckets: ``ceil(duration_h / bucket_hours)``;
* per-bucket demand, rounded **up** (capacities rounded down), in W (power), Mbit per bucket
  (data volume / run buckets: data are sent to Earth while the run goes on), crew and robot
  minutes per bucket (hours / run buckets), kg and litres of payload accommodation;
* weighted science value ``round(100 * value * priority)`` per run;
* utilisation ``u`` of a run, the unit in which *delivered shares* are counted: the run's
  buckets times the sum over constrained resources of its demand divided by the campaign-mean
  capacity (its share of the station, in resource-buckets), expressed in hundredths of the mean
  over all runs of the instance (so an average run has ``u = 100``; at least 1);
* allowed starts: buckets ``s`` with every bucket of ``[s, s + duration)`` inside the campaign,
  inside all of the request's windows and with enough capacity of every resource (with a data
  buffer, the downlink's room is that of the buffer, :mod:`moonbase.science.buffer`);
* the data buffer in Mbit (``data_buffer_mbit``, 0: none).

:func:`fitting_starts` and :func:`fits_at` answer, for every solver, where one more run fits in
what the placed runs leave (a *residual* capacity ``(R, B)``, negative in the downlink row where
data wait in the buffer).

Malformed requests are returned as :class:`Rejection` records with the reason; the rest still
schedule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from moonbase.graphs import cycle_members
from moonbase.science import buffer
from moonbase.science.models import RESOURCE_NAMES, ExperimentRequest, SchedulingProblem

__all__ = [
    "RESOURCE_SCALE",
    "Instance",
    "Rejection",
    "build_instance",
    "fits_at",
    "fitting_starts",
    "per_bucket_demand",
    "unreachable_runs",
    "window_mask",
]

#: Factor from the API unit of each resource to its integer unit (W, Mbit, min, min, kg, litre).
RESOURCE_SCALE = {
    "power_w": 1.0,
    "downlink_mbit": 1.0,
    "crew_time_h": 60.0,
    "robot_time_h": 60.0,
    "payload_mass_kg": 1.0,
    "payload_volume_m3": 1000.0,
}
_EPS = 1e-9


class Rejection(BaseModel):
    """A request that cannot be scheduled at all, and why."""

    request_id: str
    field: str
    reason: str


def duration_buckets(request: ExperimentRequest, bucket_hours: float) -> int:
    return max(1, math.ceil(request.duration_h / bucket_hours - _EPS))


def per_bucket_demand(request: ExperimentRequest, bucket_hours: float) -> dict[str, int]:
    """Integer demand of one run per bucket for each resource (see the module docstring)."""
    d = duration_buckets(request, bucket_hours)
    raw = {
        "power_w": request.power_w,
        "downlink_mbit": request.data_volume_gbit * 1000.0 / d,
        "crew_time_h": request.crew_time_h / d,
        "robot_time_h": request.robot_time_h / d,
        "payload_mass_kg": request.mass_kg,
        "payload_volume_m3": request.volume_m3,
    }
    return {k: math.ceil(v * RESOURCE_SCALE[k] - _EPS) if v > 0 else 0 for k, v in raw.items()}


def window_mask(windows: dict[str, list[bool]], names, n_buckets: int) -> np.ndarray:
    """Buckets where all the named windows are open (all buckets when ``names`` is empty)."""
    mask = np.ones(n_buckets, dtype=bool)
    for name in names:
        mask &= np.asarray(windows[name], dtype=bool)
    return mask


def _starts_where_all_open(open_mask: np.ndarray, duration: int) -> np.ndarray:
    """Boolean over starts: every bucket of ``[s, s + duration)`` is open (False past the end)."""
    n = open_mask.size
    closed = np.concatenate(([0], np.cumsum(~open_mask)))
    ok = np.zeros(n, dtype=bool)
    if duration <= n:
        last = n - duration + 1
        ok[:last] = closed[duration : duration + last] - closed[:last] == 0
    return ok


@dataclass
class Instance:
    """Integer form of a scheduling problem (see the module docstring for the units)."""

    problem: SchedulingProblem
    bucket_hours: float
    n_buckets: int
    partner_ids: list[str]
    entitlement: np.ndarray  # (P,), NaN where a partner has none
    resource_names: list[str]  # constrained resources only
    capacity: np.ndarray  # (R, B) int64
    requests: list[ExperimentRequest]  # valid ones
    job_request: np.ndarray  # (J,) index into requests
    job_repeat: np.ndarray  # (J,)
    job_partner: np.ndarray  # (J,) index into partner_ids
    duration: np.ndarray  # (J,)
    demand: np.ndarray  # (J, R)
    weight: np.ndarray  # (J,)
    utilisation: np.ndarray  # (J,)
    start_ok: np.ndarray  # (J, B) bool
    precedences: np.ndarray  # (E, 3): predecessor job, successor job, minimum gap in buckets
    rejections: list[Rejection] = field(default_factory=list)
    data_buffer_mbit: int = 0

    @property
    def n_jobs(self) -> int:
        return int(self.job_request.size)

    @property
    def buffered(self) -> int | None:
        """Row of the downlink when data can wait in a buffer (None: every resource is a
        per-bucket limit)."""
        return _buffered_row(self.resource_names, self.data_buffer_mbit)

    def job_id(self, j: int) -> str:
        return f"{self.requests[self.job_request[j]].id}#{self.job_repeat[j]}"

    def run_keys(self) -> set[tuple[str, int]]:
        """``(request id, repeat)`` of every run: the runs of a schedule this instance holds."""
        return {
            (self.requests[q].id, int(k))
            for q, k in zip(self.job_request, self.job_repeat, strict=True)
        }

    def predecessors(self) -> list[list[tuple[int, int]]]:
        """Per run, its ``(predecessor run, minimum gap in buckets)`` pairs."""
        preds: list[list[tuple[int, int]]] = [[] for _ in range(self.n_jobs)]
        for p, q, gap in self.precedences:
            preds[int(q)].append((int(p), int(gap)))
        return preds


def unreachable_runs(instance: Instance) -> np.ndarray:
    """Boolean per run: no schedule can place it, even with the station to itself.

    A forward pass over the precedences (repeats in order with their gaps, dependencies): a
    run's earliest start is its first allowed start (windows, and every resource's whole
    capacity) at or after the earliest its predecessors allow; a run with none, or after a run
    that has none, cannot be scheduled. Such runs ask for more than the span holds (a series
    whose host arrives too late for all its repeats, a window that closes for good).
    """
    from graphlib import TopologicalSorter

    preds = instance.predecessors()
    earliest = np.full(instance.n_jobs, -1, dtype=np.int64)
    order = TopologicalSorter({j: [p for p, _ in preds[j]] for j in range(instance.n_jobs)})
    for j in order.static_order():
        low = 0
        for p, gap in preds[j]:
            if earliest[p] < 0:
                low = instance.n_buckets
                break
            low = max(low, int(earliest[p] + instance.duration[p] + gap))
        allowed = np.flatnonzero(instance.start_ok[j, low:]) if low < instance.n_buckets else []
        earliest[j] = low + int(allowed[0]) if len(allowed) else -1
    return earliest < 0


def fitting_starts(instance: Instance, residual: np.ndarray, need: np.ndarray, duration: int):
    """Boolean over starts: a run of ``duration`` buckets using ``need`` ``(R,)`` per bucket
    fits in ``residual`` ``(R, B)`` (windows not included)."""
    return _fitting(residual, need, duration, instance.buffered, instance.data_buffer_mbit)


def fits_at(instance: Instance, residual: np.ndarray, need: np.ndarray, duration: int, start: int):
    """:func:`fitting_starts` for the one start ``start``."""
    end = start + duration
    if start < 0 or end > residual.shape[1]:
        return False
    b = instance.buffered
    rows = _per_bucket_rows(need, b)
    if np.any(residual[rows, start:end] < need[rows, None]):
        return False
    if b is None or need[b] == 0:
        return True
    return buffer.fits_at(residual[b], instance.data_buffer_mbit, int(need[b]), duration, start)


def _buffered_row(names: list[str], buffer_mbit: int) -> int | None:
    if buffer_mbit > 0 and "downlink_mbit" in names:
        return names.index("downlink_mbit")
    return None


def _per_bucket_rows(need: np.ndarray, buffered: int | None) -> np.ndarray:
    rows = need > 0
    if buffered is not None:
        rows[buffered] = False
    return rows


def _fitting(residual, need, duration, buffered, buffer_mbit) -> np.ndarray:
    rows = _per_bucket_rows(need, buffered)
    ok = _starts_where_all_open(np.all(residual[rows] >= need[rows, None], axis=0), duration)
    if buffered is not None and need[buffered] > 0:
        ok &= buffer.fitting_starts(residual[buffered], buffer_mbit, need[buffered], duration)
    return ok


def _reject(rejections, request, field_name, reason):
    rejections.append(Rejection(request_id=request.id, field=field_name, reason=reason))


def build_instance(
    problem: SchedulingProblem, *, started: Mapping[tuple[str, int], int] | None = None
) -> Instance:
    """Validate the requests of ``problem`` and expand the valid ones into integer jobs.

    ``started`` (re-planning): runs that started already, as ``{(request id, repeat): start
    bucket}`` (:func:`moonbase.science.solution.runs_started`). Their requests are kept even
    where the station as it is now has no room or open window for them (the runs are done or
    under way whatever it offers; a later run of such a request gets the starts that fit), and
    each of those runs may start where it did.
    """
    res = problem.resources
    bucket_h = float(res.bucket_hours)
    n = res.n_buckets
    partner_ids = [p.id for p in problem.partners]
    partner_index = {pid: i for i, pid in enumerate(partner_ids)}
    entitlement = np.array(
        [np.nan if p.entitlement is None else p.entitlement for p in problem.partners]
    )
    raw_cap = {k: res.capacity(k) * RESOURCE_SCALE[k] for k in RESOURCE_NAMES}
    constrained = [k for k in RESOURCE_NAMES if np.all(np.isfinite(raw_cap[k]))]
    capacity = np.array(
        [np.floor(raw_cap[k] + _EPS).astype(np.int64) for k in constrained], dtype=np.int64
    ).reshape(len(constrained), n)
    campaign_days = n * bucket_h / 24.0
    buffer_mbit = math.floor(res.data_buffer_gbit * 1000.0 + _EPS)
    headroom = np.zeros(len(constrained), dtype=np.int64)  # beyond any bucket's capacity
    buffered = _buffered_row(constrained, buffer_mbit)
    if buffered is not None:
        headroom[buffered] = buffer_mbit
    offer = _Offer(constrained, capacity, headroom, buffered, buffer_mbit, res.windows)

    began: dict[str, dict[int, int]] = {}
    for (rid, k), s in (started or {}).items():
        began.setdefault(rid, {})[int(k)] = int(s)
    rejections: list[Rejection] = []
    accepted: dict[str, tuple[ExperimentRequest, int, np.ndarray, np.ndarray, dict]] = {}
    for request in problem.requests:
        if request.id in accepted:
            _reject(rejections, request, "id", "duplicate request id; ids must be unique")
            continue
        if request.partner not in partner_index:
            _reject(
                rejections,
                request,
                "partner",
                f"unknown partner {request.partner!r}; known partners: {partner_ids}",
            )
            continue
        unknown = [w for w in request.windows if w not in res.windows]
        if unknown:
            _reject(
                rejections,
                request,
                "windows",
                f"unknown window(s) {unknown}; the station defines {sorted(res.windows)}",
            )
            continue
        d = duration_buckets(request, bucket_h)
        if d > n:
            _reject(
                rejections,
                request,
                "duration_h",
                f"a run of {request.duration_h:g} h ({d} buckets of {bucket_h:g} h) is longer "
                f"than the campaign ({n} buckets, {campaign_days:g} days)",
            )
            continue
        need = per_bucket_demand(request, bucket_h)
        demand = np.array([need[k] for k in constrained], dtype=np.int64)
        starts, unfit = _allowed_starts(request, d, need, demand, offer)
        held = {
            k: s
            for k, s in began.get(request.id, {}).items()
            if k < request.repeats and 0 <= s <= n - d
        }
        if unfit is not None and not held:
            _reject(rejections, request, *unfit)
            continue
        accepted[request.id] = (request, d, demand, starts, held)

    # Dependencies: unknown ids, or on rejected requests, reject the dependent (to a fixpoint);
    # then cycles.
    changed = True
    while changed:
        changed = False
        for rid, (request, *_rest) in list(accepted.items()):
            missing = [dep for dep in request.depends_on if dep not in accepted]
            if missing:
                known = {q.id for q in problem.requests}
                kind = "rejected" if all(m in known for m in missing) else "unknown"
                _reject(
                    rejections, request, "depends_on", f"depends on {kind} request(s) {missing}"
                )
                del accepted[rid]
                changed = True
    for rid in cycle_members({k: v[0].depends_on for k, v in accepted.items()}):
        _reject(rejections, accepted[rid][0], "depends_on", "is part of a dependency cycle")
        del accepted[rid]

    requests = [v[0] for v in accepted.values()]
    mean_cap = capacity.mean(axis=1) if constrained else np.zeros(0)
    job_request, job_repeat, first_job, rows = [], [], {}, []
    precedences = []
    for qi, (request, d, demand, starts, held) in enumerate(accepted.values()):
        gap = math.ceil(request.repeat_gap_h / bucket_h - _EPS)
        for k in range(request.repeats):
            j = len(job_request)
            if k == 0:
                first_job[request.id] = j
            else:
                precedences.append((j - 1, j, gap))
            job_request.append(qi)
            job_repeat.append(k)
            allowed = starts
            if k in held:
                allowed = starts.copy()
                allowed[held[k]] = True
            rows.append((d, demand, allowed))
    for request in requests:
        for dep in request.depends_on:
            precedences.append((first_job[dep], first_job[request.id], 0))

    n_jobs = len(job_request)
    r_count = len(constrained)
    duration = np.array([r[0] for r in rows], dtype=np.int64)
    demand = np.array([r[1] for r in rows], dtype=np.int64).reshape(n_jobs, r_count)
    start_ok = np.array([r[2] for r in rows], dtype=bool).reshape(n_jobs, n)
    job_request = np.array(job_request, dtype=np.int64)
    weight = np.array(
        [round(100 * requests[q].value * requests[q].priority) for q in job_request],
        dtype=np.int64,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean_cap > 0, demand / np.where(mean_cap > 0, mean_cap, 1), 0.0)
    raw_use = duration * ratio.sum(axis=1)
    mean_use = raw_use.mean() if raw_use.size and raw_use.mean() > 0 else 1.0
    utilisation = np.maximum(1, np.round(100 * raw_use / mean_use)).astype(np.int64)
    return Instance(
        problem=problem,
        bucket_hours=bucket_h,
        n_buckets=n,
        partner_ids=partner_ids,
        entitlement=entitlement,
        resource_names=constrained,
        capacity=capacity,
        requests=requests,
        job_request=job_request,
        job_repeat=np.array(job_repeat, dtype=np.int64),
        job_partner=np.array(
            [partner_index[requests[q].partner] for q in job_request], dtype=np.int64
        ),
        duration=duration,
        demand=demand,
        weight=weight,
        utilisation=utilisation,
        start_ok=start_ok,
        precedences=np.array(precedences, dtype=np.int64).reshape(-1, 3),
        rejections=rejections,
        data_buffer_mbit=buffer_mbit,
    )


@dataclass(frozen=True)
class _Offer:
    """What the station offers, in integer units, as build_instance checks requests against."""

    names: list[str]  # constrained resources
    capacity: np.ndarray  # (R, B)
    headroom: np.ndarray  # (R,) beyond any bucket's capacity: the data buffer
    buffered: int | None  # row of the downlink when data can wait in the buffer
    buffer_mbit: int
    windows: dict[str, list[bool]]


def _allowed_starts(request, d: int, need: dict, demand: np.ndarray, offer: _Offer):
    """The starts where one run of ``request`` fits alone (windows open, room in every
    resource), and ``(field, reason)`` when there is none (else None)."""
    n = offer.capacity.shape[1]
    nowhere = np.zeros(n, dtype=bool)
    top = offer.capacity.max(axis=1, initial=0) + offer.headroom
    too_big = [k for r, k in enumerate(offer.names) if demand[r] > 0 and demand[r] > top[r]]
    if too_big:
        k = too_big[0]
        top_k = top[offer.names.index(k)] / RESOURCE_SCALE[k]
        return nowhere, (
            k,
            f"needs {need[k] / RESOURCE_SCALE[k]:g} {k.split('_')[-1]} per bucket, more than "
            f"the station ever offers ({top_k:g})",
        )
    open_mask = window_mask(offer.windows, request.windows, n)
    if request.windows and not open_mask.any():
        return nowhere, (
            "windows",
            f"window(s) {list(request.windows)} never open during the campaign",
        )
    starts = _starts_where_all_open(open_mask, d) & _fitting(
        offer.capacity, demand, d, offer.buffered, offer.buffer_mbit
    )
    if starts.any():
        return starts, None
    if request.windows and not _starts_where_all_open(open_mask, d).any():
        return starts, (
            "windows",
            f"window(s) {list(request.windows)} never stay open for a whole run of {d} buckets",
        )
    return starts, ("resources", f"no {d}-bucket span has enough station resources for it")
