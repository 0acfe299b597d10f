"""Window by window CP-SAT: a large-neighbourhood search for campaigns too large for one model.

Start from the better of the two greedy schedules (priority order, or value density under
resource prices: :mod:`moonbase.science.priced`). Then slide a window of ``window_days`` over
the campaign, half a window at a time, and at each position let CP-SAT re-decide the runs that start inside it: those already there, which may move within the
window or be dropped, and the most value-dense runs left out so far that could start there.
Everything else stays where it is, and its resource use is subtracted from the capacity the
window sees. Precedences hold across the window's edge: a free run starts after its fixed
predecessors end, a run with a fixed successor stays fixed, and a left-out run joins only if its
predecessors are placed or join too. CP-SAT starts each window from the current schedule, so a
window never loses value; sweeps repeat while time is left and a sweep still gains.

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
from moonbase.science.instance import Instance
from moonbase.science.priced import better_greedy_starts, value_density
from moonbase.science.solution import Schedule, SchedulerConfig, job_starts, schedule_from_starts

__all__ = ["improve_by_windows", "schedule_rolling"]


def _value(instance: Instance, starts: np.ndarray) -> float:
    return float(instance.weight[starts >= 0].sum()) / 100.0


def _links(instance: Instance):
    preds = [[] for _ in range(instance.n_jobs)]
    succs = [[] for _ in range(instance.n_jobs)]
    for p, q, gap in instance.precedences:
        preds[int(q)].append((int(p), int(gap)))
        succs[int(p)].append(int(q))
    return preds, succs


def _free_runs(instance, starts, lo, hi, density, preds, succs, extra):
    """Runs CP-SAT may re-decide in ``[lo, hi)``, each one's earliest start, and the capacity
    ``(R, B)`` the other runs leave.

    Left-out runs join, most value-dense first, if they could start in the window and no
    resource they need is short of them everywhere in it, even with the window's runs gone.
    """
    inside = (starts >= lo) & (starts < hi)
    free = inside.copy()
    # a run with a placed successor outside the window keeps its place
    changed = True
    while changed:
        changed = False
        for j in np.flatnonzero(free):
            if any(starts[q] >= 0 and not free[q] for q in succs[j]):
                free[j] = False
                changed = True
    left = instance.capacity - _resource_use(
        instance, starts, np.flatnonzero((starts >= 0) & ~free)
    )
    reach = min(instance.n_buckets, hi + int(instance.duration.max()))
    room = left[:, lo:reach].max(axis=1)
    fits = np.all(instance.demand <= room[None, :], axis=1)
    left_out = np.flatnonzero((starts < 0) & fits & np.any(instance.start_ok[:, lo:hi], axis=1))
    left_out = left_out[np.argsort(-density[left_out], kind="stable")]
    joined = 0
    for j in left_out:
        if joined >= extra:
            break
        if all(starts[p] >= 0 or free[p] for p, _ in preds[j]):
            free[j] = True
            joined += 1
    earliest = np.zeros(instance.n_jobs, dtype=np.int64)
    for j in np.flatnonzero(free):
        for p, gap in preds[j]:
            if not free[p]:
                earliest[j] = max(earliest[j], starts[p] + int(instance.duration[p]) + gap)
    return np.flatnonzero(free), earliest, left


def _resource_use(instance: Instance, starts: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Use ``(R, B)`` of every resource by ``runs`` placed at ``starts``."""
    diff = np.zeros((len(instance.resource_names), instance.n_buckets + 1), dtype=np.int64)
    demand = instance.demand[runs].T
    np.add.at(diff, (slice(None), starts[runs]), demand)
    np.add.at(diff, (slice(None), starts[runs] + instance.duration[runs]), -demand)
    return np.cumsum(diff[:, :-1], axis=1)


def _window_instance(instance, runs, earliest, left, lo, hi):
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
    prices: np.ndarray | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> np.ndarray:
    """Improve a feasible schedule (``starts``, ``-1``: left out) window by window.

    Each window gets CP-SAT with ``config`` (fairness off) for at most ``config.time_limit_s``,
    and the search ends after ``time_limit_s`` in all. ``extra_runs`` left-out runs (most
    value-dense first under ``prices``, by default the knapsack prices) join each window.
    ``progress(elapsed_s, value)`` is called after every window that gained value.
    """
    began = time.perf_counter()
    cfg = (config or SchedulerConfig()).model_copy(update={"fairness": "none"})
    starts = np.asarray(starts, dtype=np.int64).copy()
    density = value_density(instance, prices)
    preds, succs = _links(instance)
    width = max(1, round(window_days * 24.0 / instance.bucket_hours))
    step = max(1, width // 2)
    gained = True
    while gained and time.perf_counter() - began < time_limit_s:
        gained = False
        for lo in range(0, instance.n_buckets, step):
            if time.perf_counter() - began >= time_limit_s:
                break
            hi = min(instance.n_buckets, lo + width)
            runs, earliest, left = _free_runs(
                instance, starts, lo, hi, density, preds, succs, extra_runs
            )
            if runs.size == 0:
                continue
            sub = _window_instance(instance, runs, earliest, left, lo, hi)
            before = float(sub.weight[starts[runs] >= 0].sum())
            result = CpSatScheduler(sub, cfg, hint_starts=starts[runs]).solve()
            if result.value * 100.0 <= before:
                continue
            starts[runs] = job_starts(sub, result)
            gained = True
            if progress is not None:
                progress(time.perf_counter() - began, _value(instance, starts))
    return starts


def schedule_rolling(
    instance: Instance,
    config: SchedulerConfig | None = None,
    *,
    window_days: float = 30.0,
    progress: Callable[[float, float], None] | None = None,
) -> Schedule:
    """The better greedy schedule, then :func:`improve_by_windows` (see the module docstring).

    ``config.time_limit_s`` is the whole budget; each window gets at most a twentieth of it (and
    at most 3 s: many short windows gain more than a few long ones). Fairness is not applied
    (use the single model for fairness). ``progress``: see :func:`improve_by_windows` (elapsed
    time counted from here).
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    window_cfg = cfg.model_copy(update={"time_limit_s": min(3.0, cfg.time_limit_s / 20.0)})
    starts = better_greedy_starts(instance)
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
        progress=None if progress is None else shifted,
    )
    return schedule_from_starts(
        instance,
        starts,
        solver=f"cpsat-rolling ({window_days:g} d windows)",
        status="FEASIBLE",
        wall_s=time.perf_counter() - began,
    )
