"""Window by window CP-SAT: a large-neighbourhood search for campaigns too large for one model.

Start from the better of the two greedy schedules (priority order, or value density under
resource prices: :mod:`moonbase.science.priced`; with fairness, the fair greedy too).
Then slide a window of ``window_days`` over the campaign, half a window at a time, and at each
position let CP-SAT re-decide the runs that start inside it: those already there, which may move
within the window or be dropped, and the most value-dense runs left out so far that could start
there. Everything else stays where it is, and its resource use is subtracted from the capacity
the window sees. Precedences hold across the window's edge: a free run starts after its fixed
predecessors end, a run with a fixed successor stays in the schedule and ends in time for it,
and a left-out run joins together with its left-out predecessors (if they could start in the
window too). With ``fairness="penalty"`` each window weighs the shares of the periods it
touches, counting what the rest of the schedule delivers there; with ``fairness="band"`` it
first shrinks how far those shares lie outside their bands, then raises the value (a window
never widens the excess, so a schedule that meets the band keeps meeting it). CP-SAT starts
each window from the current schedule, and a window's result is kept only if it improves the
objective (excess outside the band first; value, less the penalty); sweeps repeat while time
is left and a sweep still gains.

Re-planning (:func:`replan_by_windows`) runs the same search from the re-planning time on,
starting from the most planned runs that can stay where they are, and each window counts the
planned runs it moves or drops after the excess outside a band and before the value (or at a
price per move).

The result is a heuristic without a global bound of its own: compare it with the knapsack bound
(:mod:`moonbase.science.bounds`), which on the synthetic campaigns equals the bound of the
time-indexed linear relaxation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from moonbase.science.cpsat import (
    CpSatScheduler,
    capacity_with_runs_under_way,
    fill_from,
    holding_runs_started,
    keep_most,
)
from moonbase.science.greedy import greedy_starts
from moonbase.science.instance import Instance
from moonbase.science.priced import better_greedy_starts, value_density
from moonbase.science.solution import (
    Schedule,
    SchedulerConfig,
    band_excess,
    fairness_penalty,
    job_starts,
    partner_period_usage,
    resource_use,
    schedule_from_starts,
)

__all__ = ["first_schedule", "improve_by_windows", "replan_by_windows", "schedule_rolling"]

#: A left-out run's density counts this much less for each window it failed to enter, so that
#: dense runs that fit nowhere give way to others (at 10 years the same few would otherwise be
#: offered to every window).
_GIVE_WAY = 0.7
#: The share of a window-by-window re-plan's time that goes to keeping the most planned runs.
_KEEP_SHARE = 0.25


def _value(instance: Instance, starts: np.ndarray) -> float:
    return float(instance.weight[starts >= 0].sum()) / 100.0


def _links(instance: Instance):
    """Per run, its ``(predecessor, gap)`` and its ``(successor, gap)`` pairs."""
    succs = [[] for _ in range(instance.n_jobs)]
    for p, q, gap in instance.precedences:
        succs[int(p)].append((int(q), int(gap)))
    return instance.predecessors(), succs


def _free_runs(instance, starts, lo, hi, density, links, extra, failed, quota=None, displaced=None):
    """Runs CP-SAT may re-decide in ``[lo, hi)``: their indices, earliest and latest starts,
    which of them must stay in the schedule, and the capacity ``(R, B)`` the other runs leave.

    A run with a placed successor outside the window stays in the schedule and must end in
    time for it. Left-out runs join if they could start in the window and no resource they
    need is short of them everywhere in it, even with the window's runs gone: the most
    value-dense first, a run's density counted at ``_GIVE_WAY`` to the power of the windows it
    has already failed to enter (``failed``), at most ``quota[i]`` of partner ``i`` if given,
    each with its left-out predecessors (:func:`_left_out_chain`). Runs marked ``displaced``
    (bool per run; re-planning: planned to start in the window, now elsewhere or left out)
    come first: placed ones join if nothing placed depends on them, left-out ones ahead of
    the others. Returns also the runs that joined.
    """
    preds, succs = links
    free = (starts >= lo) & (starts < hi)
    ahead = np.zeros(instance.n_jobs, dtype=bool) if displaced is None else displaced
    for j in np.flatnonzero(ahead & (starts >= 0) & ~free):
        free[j] = all(starts[q] < 0 for q, _ in succs[j])
    left = instance.capacity - resource_use(instance, starts, np.flatnonzero((starts >= 0) & ~free))
    reach = min(instance.n_buckets, hi + int(instance.duration.max()))
    room = left[:, lo:reach].max(axis=1)
    if instance.buffered is not None:
        room[instance.buffered] += instance.data_buffer_mbit
    fits = np.all(instance.demand <= room[None, :], axis=1)
    candidate = (starts < 0) & fits & np.any(instance.start_ok[:, lo:hi], axis=1)
    left_out = np.flatnonzero(candidate)
    rank = density[left_out] * _GIVE_WAY ** failed[left_out]
    left_out = left_out[np.lexsort((-rank, ~ahead[left_out]))]
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
    per_bucket = np.ones(len(instance.resource_names), dtype=bool)
    if instance.buffered is not None:  # the buffer's level carries the rest of the schedule
        per_bucket[instance.buffered] = False
    # outside what these runs can touch: no reserved intervals
    capacity[per_bucket, :lo] = top[per_bucket]
    capacity[per_bucket, reach:] = top[per_bucket]
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
    first_bucket: int = 0,
    planned: np.ndarray | None = None,
    disruption_weight: float | None = None,
) -> np.ndarray:
    """Improve a feasible schedule (``starts``, ``-1``: left out) window by window.

    Each window gets CP-SAT with ``config`` for at most ``config.time_limit_s``, or less where the
    time left, shared among the windows left in the sweep, is less (a sweep then still covers
    the whole campaign). Each sweep ends by adding left-out runs where they now fit
    (price-guided greedy), kept if that gains. The search ends after ``time_limit_s`` in all,
    after ``sweeps`` sweeps if given, or after a sweep that gained nothing. With
    ``config.work_limit`` set, one worker and ``sweeps``, the search is reproducible on any
    machine (as long as no wall-clock limit binds).
    With ``config.fairness`` ``"penalty"`` each window weighs the shares of the periods it
    touches, the rest of the schedule counted as delivered; with ``"band"`` it shrinks first
    how far they lie outside their bands (:func:`moonbase.science.solution.band_excess`).
    ``extra_runs`` left-out runs (see :func:`_free_runs`; density under ``prices``, by default
    the knapsack prices; with fairness, from each partner in proportion to its entitlement)
    join each window.
    ``progress(elapsed_s, value)`` is called after every window that gained.

    Re-planning: windows start at ``first_bucket`` (runs that start before it are never
    re-decided), and ``planned`` (per run, ``-1``: none) are the starts of the plan in force:
    moving or dropping one costs ``disruption_weight`` value points, or with ``None`` more than
    any value (a window gains by moving fewer runs first, then by value; a band's excess comes
    before both). A planned run that is elsewhere or left out joins, first, the windows its
    planned start lies in.
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    cfg = cfg.model_copy(update={"energy_cuts": False})  # cuts cost more than they help here
    starts = np.asarray(starts, dtype=np.int64).copy()
    if planned is not None:
        planned = np.asarray(planned, dtype=np.int64)
    density = value_density(instance, prices)
    links = _links(instance)
    failed = np.zeros(instance.n_jobs, dtype=np.int64)
    quota = None
    if cfg.fairness != "none":  # left-out runs join in proportion to entitlements
        entitlement = np.nan_to_num(instance.entitlement, nan=1.0)
        quota = np.ceil(extra_runs * entitlement).astype(np.int64)

    def score(candidate: np.ndarray) -> tuple[float, float, float]:
        return _score(instance, candidate, cfg, planned, disruption_weight)

    current = score(starts)
    width = max(1, round(window_days * 24.0 / instance.bucket_hours))
    step = max(1, width // 2)
    positions = range(first_bucket, instance.n_buckets, step)
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
            displaced = None
            if planned is not None:
                displaced = (planned >= lo) & (planned < hi) & (starts != planned)
            runs, earliest, latest, required, left, joined = _free_runs(
                instance, starts, lo, hi, density, links, extra_runs, failed, quota, displaced
            )
            if runs.size == 0:
                continue
            sub = _window_instance(instance, runs, earliest, latest, left, lo, hi)
            outside = None
            if cfg.fairness != "none":
                rest = starts.copy()
                rest[runs] = -1
                outside = partner_period_usage(instance, rest, cfg.fairness_period_days)
            hint = starts[runs]
            hint[(hint < lo) | (hint >= hi)] = -1  # displaced runs: left out, to start with
            result = CpSatScheduler(
                sub,
                window_cfg,
                hint_starts=hint,
                usage_offset=outside,
                required=required,
                planned_starts=None if planned is None else planned[runs],
                disruption_weight=disruption_weight,
                soft_band=True,
            ).solve()
            candidate = starts.copy()
            candidate[runs] = job_starts(sub, result)
            failed[joined[candidate[joined] < 0]] += 1
            better = score(candidate)
            if not _gains(better, current):
                continue
            starts, current, gained = candidate, better, True
            if progress is not None:
                progress(time.perf_counter() - began, _value(instance, starts))
        # windows change what fits elsewhere: add left-out runs where they fit now
        filled = fill_from(instance, starts, first_bucket, instance.capacity)
        filled_score = score(filled)
        if _gains(filled_score, current):
            starts, current, gained = filled, filled_score, True
            if progress is not None:
                progress(time.perf_counter() - began, _value(instance, starts))
    return starts


def replan_by_windows(
    instance: Instance,
    previous: Schedule,
    now_bucket: int,
    config: SchedulerConfig | None = None,
    *,
    disruption_weight: float | None = None,
    window_days: float = 30.0,
    sweeps: int | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Schedule:
    """Re-plan window by window: :func:`moonbase.science.cpsat.replan` for campaigns too large
    for one model.

    The same rules: runs of ``previous`` that started before ``now_bucket`` stay (those under
    way go on where a failure lowered the capacity, and ``Schedule.overruns`` says where),
    nothing new starts before ``now_bucket``, and each window minimises the planned runs that
    move or are dropped first, then maximises the value (or, with ``disruption_weight``, each
    move costs that many value points); with a fairness band, it shrinks the shares' excess
    outside the band before all that, and the status is ``OUTSIDE_BAND`` if some is left. The
    search starts from the most planned runs that can stay where they are
    (:func:`moonbase.science.cpsat.keep_most`, a quarter of ``config.time_limit_s``), with
    left-out runs added where they fit (price-guided greedy), and slides windows from
    ``now_bucket`` on (:func:`improve_by_windows`; the rest of the time, shared as in
    :func:`schedule_rolling`). ``Schedule.moved`` counts the planned runs that moved or were
    dropped, ``Schedule.fewest_moved`` is the bound from ``keep_most``: no re-plan moves fewer.
    Runs done or under way stay even where the new station has no room or window for them at
    all (:func:`moonbase.science.cpsat.holding_runs_started`).
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    instance = holding_runs_started(instance, previous, now_bucket)
    previous_starts = job_starts(instance, previous)
    capacity, overruns = capacity_with_runs_under_way(instance, previous, now_bucket)
    later = np.arange(instance.n_buckets)[None, :] >= now_bucket
    raised = replace(instance, capacity=capacity, start_ok=instance.start_ok & later)
    keep_cfg = cfg.model_copy(update={"time_limit_s": cfg.time_limit_s * _KEEP_SHARE})
    kept, fewest = keep_most(instance, previous_starts, now_bucket, capacity, keep_cfg)
    starts = fill_from(instance, kept, now_bucket, capacity)
    planned = np.where(previous_starts >= now_bucket, previous_starts, -1)
    starts = _search(
        raised,
        starts,
        cfg,
        began,
        window_days=window_days,
        sweeps=sweeps,
        progress=progress,
        first_bucket=now_bucket,
        planned=planned,
        disruption_weight=disruption_weight,
    )
    moved = int(np.sum((planned >= 0) & (starts != planned)))
    return schedule_from_starts(
        instance,
        starts,
        solver=f"cpsat-rolling re-plan ({window_days:g} d windows)",
        status=_status(instance, starts, cfg),
        wall_s=time.perf_counter() - began,
        moved=moved,
        fewest_moved=fewest,
        overruns=overruns,
    )


def _score(instance, starts, config, planned, disruption_weight) -> tuple[float, float, float]:
    """What a window must raise, in this order: minus the shares' excess outside a fairness
    band (else 0); minus the moved planned runs, when every move costs more than any value
    (else 0); the value less the fairness penalty and the moves' cost."""
    excess = -float(band_excess(instance, starts, config))
    objective = _objective(instance, starts, config)
    if planned is None:
        return excess, 0.0, objective
    moved = float(np.sum((planned >= 0) & (starts != planned)))
    if disruption_weight is None:
        return excess, -moved, objective
    return excess, 0.0, objective - disruption_weight * moved


def _gains(new: tuple[float, float, float], old: tuple[float, float, float]) -> bool:
    return new[:2] > old[:2] or (new[:2] == old[:2] and new[2] > old[2] + 1e-9)


def _status(instance: Instance, starts: np.ndarray, config: SchedulerConfig) -> str:
    return "FEASIBLE" if band_excess(instance, starts, config) == 0 else "OUTSIDE_BAND"


def _objective(instance: Instance, starts: np.ndarray, config: SchedulerConfig) -> float:
    """Weighted value less the fairness penalty (value points)."""
    return _value(instance, starts) - fairness_penalty(instance, starts, config)


def first_schedule(instance: Instance, config: SchedulerConfig | None = None) -> np.ndarray:
    """The starting point of the search: the best greedy schedule by value, or with fairness
    (the fair greedy included) by the least excess outside the band, then by value less the
    penalty."""
    cfg = config or SchedulerConfig()
    if cfg.fairness == "none":
        return better_greedy_starts(instance)
    candidates = (better_greedy_starts(instance), greedy_starts(instance, fair=True))
    return max(candidates, key=lambda starts: _score(instance, starts, cfg, None, None))


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
    :func:`improve_by_windows`). With ``fairness="band"`` the status is ``OUTSIDE_BAND`` if
    the search ends with some share outside its band (``band_excess`` says how far), else
    ``FEASIBLE``. ``sweeps`` and ``progress``: see :func:`improve_by_windows` (elapsed time
    counted from here).
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    starts = first_schedule(instance, cfg)
    starts = _search(
        instance, starts, cfg, began, window_days=window_days, sweeps=sweeps, progress=progress
    )
    return schedule_from_starts(
        instance,
        starts,
        solver=f"cpsat-rolling ({window_days:g} d windows)",
        status=_status(instance, starts, cfg),
        wall_s=time.perf_counter() - began,
    )


def _search(instance, starts, config, began, *, window_days, sweeps, progress, **replanning):
    """:func:`improve_by_windows` from ``starts`` for what is left of ``config.time_limit_s``
    since ``began`` (``perf_counter``), each window with a twentieth of the budget, at most 3 s
    unless a work limit bounds each window instead (see :func:`schedule_rolling`);
    ``progress`` sees the start and counts elapsed time from ``began``."""
    window_s = config.time_limit_s / 20.0
    if config.work_limit is None:
        window_s = min(3.0, window_s)
    shifted = None
    if progress is not None:
        progress(time.perf_counter() - began, _value(instance, starts))
        offset_s = time.perf_counter() - began

        def shifted(elapsed_s: float, value: float) -> None:
            progress(offset_s + elapsed_s, value)

    return improve_by_windows(
        instance,
        starts,
        config.model_copy(update={"time_limit_s": window_s}),
        window_days=window_days,
        time_limit_s=max(0.0, config.time_limit_s - (time.perf_counter() - began)),
        sweeps=sweeps,
        progress=shifted,
        **replanning,
    )
