"""Window by window CP-SAT: a large-neighbourhood search for campaigns too large for one model.

Start from the better of the two greedy schedules (priority order, or value density under
resource prices: :mod:`moonbase.science.priced`; with a fairness penalty, the fair greedy too).
Then slide a window of ``window_days`` over the campaign, half a window at a time, and at each
position let CP-SAT re-decide the runs that start inside it: those already there, which may move
within the window or be dropped, and the most value-dense runs left out so far that could start
there. Everything else stays where it is, and its resource use is subtracted from the capacity
the window sees. Precedences hold across the window's edge: a free run starts after its fixed
predecessors end, a run with a fixed successor stays in the schedule and ends in time for it,
and a left-out run joins together with its left-out predecessors (if they could start in the
window too). With ``fairness="penalty"`` each window weighs the shares of the periods it
touches, counting what the rest of the schedule delivers there. CP-SAT starts each window from
the current schedule, and a window's result is kept only if it raises the objective (value,
less the penalty); sweeps repeat while time is left and a sweep still gains.

The result is a heuristic without a global bound of its own: compare it with the knapsack bound
(:mod:`moonbase.science.bounds`), which on the synthetic campaigns equals the bound of the
time-indexed linear relaxation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from moonbase.science.cpsat import CpSatScheduler
from moonbase.science.greedy import greedy_starts
from moonbase.science.instance import Instance
from moonbase.science.priced import better_greedy_starts, value_density
from moonbase.science.solution import (
    Schedule,
    SchedulerConfig,
    fairness_penalty,
    job_starts,
    partner_period_usage,
    resource_use,
    schedule_from_starts,
)

__all__ = ["first_schedule", "improve_by_windows", "schedule_rolling"]

#: A left-out run's density counts this much less for each window it failed to enter, so that
#: dense runs that fit nowhere give way to others (at 10 years the same few would otherwise be
#: offered to every window).
_GIVE_WAY = 0.7


def _value(instance: Instance, starts: np.ndarray) -> float:
    return float(instance.weight[starts >= 0].sum()) / 100.0


def _links(instance: Instance):
    preds = [[] for _ in range(instance.n_jobs)]
    succs = [[] for _ in range(instance.n_jobs)]
    for p, q, gap in instance.precedences:
        preds[int(q)].append((int(p), int(gap)))
        succs[int(p)].append((int(q), int(gap)))
    return preds, succs


def _free_runs(instance, starts, lo, hi, density, links, extra, failed, quota=None):
    """Runs CP-SAT may re-decide in ``[lo, hi)``: their indices, earliest and latest starts,
    which of them must stay in the schedule, and the capacity ``(R, B)`` the other runs leave.

    A run with a placed successor outside the window stays in the schedule and must end in
    time for it. Left-out runs join if they could start in the window and no resource they
    need is short of them everywhere in it, even with the window's runs gone: the most
    value-dense first, a run's density counted at ``_GIVE_WAY`` to the power of the windows it
    has already failed to enter (``failed``), at most ``quota[i]`` of partner ``i`` if given,
    each with its left-out predecessors (:func:`_left_out_chain`). Returns also the runs that
    joined.
    """
    preds, succs = links
    free = (starts >= lo) & (starts < hi)
    left = instance.capacity - resource_use(instance, starts, np.flatnonzero((starts >= 0) & ~free))
    reach = min(instance.n_buckets, hi + int(instance.duration.max()))
    room = left[:, lo:reach].max(axis=1)
    fits = np.all(instance.demand <= room[None, :], axis=1)
    candidate = (starts < 0) & fits & np.any(instance.start_ok[:, lo:hi], axis=1)
    left_out = np.flatnonzero(candidate)
    rank = density[left_out] * _GIVE_WAY ** failed[left_out]
    left_out = left_out[np.argsort(-rank, kind="stable")]
    joined = np.zeros(len(instance.partner_ids), dtype=np.int64)
    for j in left_out:
        if joined.sum() >= extra:
            break
        i = instance.job_partner[j]
        if quota is not None and joined[i] >= quota[i]:
            continue
        chain = _left_out_chain(j, starts, free, preds, candidate)
        if chain is not None:
            free[chain] = True
            np.add.at(joined, instance.job_partner[chain], 1)
    runs = np.flatnonzero(free)
    earliest = np.zeros(instance.n_jobs, dtype=np.int64)
    latest = np.full(instance.n_jobs, instance.n_buckets, dtype=np.int64)
    required = np.zeros(instance.n_jobs, dtype=bool)
    for j in runs:
        for p, gap in preds[j]:
            if not free[p]:
                earliest[j] = max(earliest[j], starts[p] + int(instance.duration[p]) + gap)
        for q, gap in succs[j]:
            if starts[q] >= 0 and not free[q]:
                latest[j] = min(latest[j], starts[q] - int(instance.duration[j]) - gap)
                required[j] = True
    return runs, earliest, latest, required[runs], left, runs[starts[runs] < 0]


def _left_out_chain(j, starts, free, preds, candidate):
    """``j`` with its left-out predecessors (and theirs), if all of those could join the
    window (``candidate``); else None."""
    chain, todo = [j], [j]
    while todo:
        for p, _ in preds[todo.pop()]:
            if starts[p] >= 0 or free[p] or p in chain:
                continue
            if not candidate[p]:
                return None
            chain.append(p)
            todo.append(p)
    return chain


def _window_instance(instance, runs, earliest, latest, left, lo, hi):
    """The sub-problem of ``runs`` starting in ``[lo, hi)`` on the capacity ``left``."""
    b = instance.n_buckets
    capacity = left.copy()
    reach = min(b, hi + int(instance.duration[runs].max()))
    top = capacity.max(axis=1, keepdims=True)
    capacity[:, :lo] = top  # outside what these runs can touch: no reserved intervals
    capacity[:, reach:] = top
    allowed = instance.start_ok[runs].copy()
    allowed[:, :lo] = False
    allowed[:, hi:] = False
    allowed &= np.arange(b)[None, :] >= earliest[runs, None]
    allowed &= np.arange(b)[None, :] <= latest[runs, None]
    index = {int(j): k for k, j in enumerate(runs)}
    precedences = [
        (index[int(p)], index[int(q)], int(g))
        for p, q, g in instance.precedences
        if int(p) in index and int(q) in index
    ]
    return replace(
        instance,
        capacity=capacity,
        job_request=instance.job_request[runs],
        job_repeat=instance.job_repeat[runs],
        job_partner=instance.job_partner[runs],
        duration=instance.duration[runs],
        demand=instance.demand[runs],
        weight=instance.weight[runs],
        utilisation=instance.utilisation[runs],
        start_ok=allowed,
        precedences=np.array(precedences, dtype=np.int64).reshape(-1, 3),
        rejections=[],
    )


def improve_by_windows(
    instance: Instance,
    starts: np.ndarray,
    config: SchedulerConfig | None = None,
    *,
    window_days: float = 30.0,
    extra_runs: int = 60,
    time_limit_s: float = 60.0,
    sweeps: int | None = None,
    prices: np.ndarray | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> np.ndarray:
    """Improve a feasible schedule (``starts``, ``-1``: left out) window by window.

    Each window gets CP-SAT with ``config`` for at most ``config.time_limit_s``, or less where the
    time left, shared among the windows left in the sweep, is less (a sweep then still covers
    the whole campaign). The search ends after ``time_limit_s`` in all, after ``sweeps`` sweeps
    if given, or after a sweep that gained nothing. With ``config.work_limit`` set, one worker
    and ``sweeps``, the search is reproducible on any machine (as long as no wall-clock limit
    binds).
    ``config.fairness`` may be ``"none"`` or ``"penalty"`` (each window then weighs the shares
    of the periods it touches, the rest of the schedule counted as delivered); a ``"band"``
    cannot be kept window by window from a schedule that breaks it, so it is refused.
    ``extra_runs`` left-out runs (see :func:`_free_runs`; density under ``prices``, by default
    the knapsack prices; with the penalty, from each partner in proportion to its entitlement)
    join each window.
    ``progress(elapsed_s, value)`` is called after every window that gained.
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    _refuse_band(cfg)
    cfg = cfg.model_copy(update={"energy_cuts": False})  # cuts cost more than they help here
    starts = np.asarray(starts, dtype=np.int64).copy()
    density = value_density(instance, prices)
    links = _links(instance)
    failed = np.zeros(instance.n_jobs, dtype=np.int64)
    quota = None
    if cfg.fairness == "penalty":  # left-out runs join in proportion to entitlements
        entitlement = np.nan_to_num(instance.entitlement, nan=1.0)
        quota = np.ceil(extra_runs * entitlement).astype(np.int64)
    current = _objective(instance, starts, cfg)
    width = max(1, round(window_days * 24.0 / instance.bucket_hours))
    step = max(1, width // 2)
    positions = range(0, instance.n_buckets, step)
    gained, sweep = True, 0
    while gained and sweep != sweeps and time.perf_counter() - began < time_limit_s:
        gained, sweep = False, sweep + 1
        for k, lo in enumerate(positions):
            left_s = time_limit_s - (time.perf_counter() - began)
            if left_s <= 0:
                break
            # share what is left among the windows left in this sweep, so that a sweep covers
            # the whole campaign even when the windows cannot all have their full time
            window_cfg = cfg.model_copy(
                update={"time_limit_s": min(cfg.time_limit_s, left_s / (len(positions) - k))}
            )
            hi = min(instance.n_buckets, lo + width)
            runs, earliest, latest, required, left, joined = _free_runs(
                instance, starts, lo, hi, density, links, extra_runs, failed, quota
            )
            if runs.size == 0:
                continue
            sub = _window_instance(instance, runs, earliest, latest, left, lo, hi)
            outside = None
            if cfg.fairness == "penalty":
                rest = starts.copy()
                rest[runs] = -1
                outside = partner_period_usage(instance, rest, cfg.fairness_period_days)
            result = CpSatScheduler(
                sub, window_cfg, hint_starts=starts[runs], usage_offset=outside, required=required
            ).solve()
            candidate = starts.copy()
            candidate[runs] = job_starts(sub, result)
            failed[joined[candidate[joined] < 0]] += 1
            better = _objective(instance, candidate, cfg)
            if better <= current + 1e-9:
                continue
            starts, current, gained = candidate, better, True
            if progress is not None:
                progress(time.perf_counter() - began, _value(instance, starts))
    return starts


def _refuse_band(config: SchedulerConfig) -> None:
    if config.fairness == "band":
        raise ValueError(
            "the window search keeps fairness as a penalty, not a band: "
            "use fairness='penalty' (or the single CP-SAT model for a band)"
        )


def _objective(instance: Instance, starts: np.ndarray, config: SchedulerConfig) -> float:
    """Weighted value less the fairness penalty (value points)."""
    return _value(instance, starts) - fairness_penalty(instance, starts, config)


def first_schedule(instance: Instance, config: SchedulerConfig | None = None) -> np.ndarray:
    """The starting point of the search: the best greedy schedule by value, or with
    ``fairness="penalty"`` by value less the penalty (the fair greedy included)."""
    cfg = config or SchedulerConfig()
    if cfg.fairness != "penalty":
        return better_greedy_starts(instance)
    candidates = (better_greedy_starts(instance), greedy_starts(instance, fair=True))
    return max(candidates, key=lambda starts: _objective(instance, starts, cfg))


def schedule_rolling(
    instance: Instance,
    config: SchedulerConfig | None = None,
    *,
    window_days: float = 30.0,
    sweeps: int | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Schedule:
    """:func:`first_schedule`, then :func:`improve_by_windows` (see the module docstring).

    ``config.time_limit_s`` is the whole budget; each window gets at most a twentieth of it (and
    at most 3 s: many short windows gain more than a few long ones; with ``config.work_limit``
    that limits each window instead of the 3 s), and less where the budget left is short (see
    :func:`improve_by_windows`). Fairness: ``"none"`` or ``"penalty"``. ``sweeps`` and
    ``progress``: see :func:`improve_by_windows` (elapsed time counted from here).
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    window_s = cfg.time_limit_s / 20.0
    if cfg.work_limit is None:  # with a work limit, that limits each window instead
        window_s = min(3.0, window_s)
    window_cfg = cfg.model_copy(update={"time_limit_s": window_s})
    _refuse_band(cfg)
    starts = first_schedule(instance, cfg)
    remaining = max(0.0, cfg.time_limit_s - (time.perf_counter() - began))
    if progress is not None:
        progress(time.perf_counter() - began, _value(instance, starts))
    offset = time.perf_counter() - began

    def shifted(elapsed_s: float, value: float) -> None:
        progress(offset + elapsed_s, value)

    starts = improve_by_windows(
        instance,
        starts,
        window_cfg,
        window_days=window_days,
        time_limit_s=remaining,
        sweeps=sweeps,
        progress=None if progress is None else shifted,
    )
    return schedule_from_starts(
        instance,
        starts,
        solver=f"cpsat-rolling ({window_days:g} d windows)",
        status="FEASIBLE",
        wall_s=time.perf_counter() - began,
    )
