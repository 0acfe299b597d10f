"""Rolling-horizon CP-SAT for campaigns too large for one model.

The campaign is cut into consecutive windows of ``window_days``. Window by window, CP-SAT
schedules the runs that may *start* inside it (on the capacity left by the runs already
fixed, after their fixed predecessors); what it schedules is then fixed, and what it leaves
may still start in a later window. Each window is a small model that CP-SAT solves well; the
whole is a heuristic (myopic: a window never gives way to a better use later), so it has no
global bound. It never does worse than the greedy on each window's runs, since every window
starts from the greedy warm start.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from moonbase.science.cpsat import CpSatScheduler
from moonbase.science.greedy import greedy_starts
from moonbase.science.instance import Instance
from moonbase.science.solution import Schedule, SchedulerConfig, job_starts, schedule_from_starts

__all__ = ["schedule_rolling"]


def _window_jobs(instance, starts, dead, lo, hi, greedy, extra):
    """Jobs that may start in ``[lo, hi)`` now, and every job's earliest start.

    To keep each window small, the candidates are the runs the global greedy starts before
    ``hi`` (and that are still open), plus the ``extra`` most valuable runs the greedy left out.
    """
    n = instance.n_jobs
    earliest = np.zeros(n, dtype=np.int64)
    blocked = dead | (starts >= 0)
    pending_preds = [[] for _ in range(n)]
    for p, q, gap in instance.precedences:
        p, q, gap = int(p), int(q), int(gap)
        if starts[p] >= 0:
            earliest[q] = max(earliest[q], starts[p] + int(instance.duration[p]) + gap)
        else:
            pending_preds[q].append(p)
    window = np.zeros(instance.n_buckets, dtype=bool)
    window[lo:hi] = True
    can = ~blocked & np.any(instance.start_ok & window, axis=1)
    can &= earliest < hi
    left_out = np.flatnonzero(can & (greedy < 0))
    keep = left_out[np.argsort(-instance.weight[left_out], kind="stable")[:extra]]
    can &= greedy < hi
    can[keep] = True
    # a job waiting on an undecided predecessor joins only if that predecessor joins too
    changed = True
    while changed:
        changed = False
        for q in np.flatnonzero(can):
            if any(not can[p] for p in pending_preds[q]):
                can[q] = False
                changed = True
    return np.flatnonzero(can), earliest


def schedule_rolling(
    instance: Instance, config: SchedulerConfig | None = None, *, window_days: float = 90.0
) -> Schedule:
    """Schedule ``instance`` window by window with CP-SAT (see the module docstring).

    ``config.time_limit_s`` is shared evenly between the windows. Fairness is not applied
    (use the single model for fairness). Each window considers the runs the global greedy
    starts by its end and, of the runs the greedy left out, as many of the most valuable as
    the greedy's busiest window holds.
    """
    began = time.perf_counter()
    cfg = config or SchedulerConfig()
    n, b = instance.n_jobs, instance.n_buckets
    width = max(1, round(window_days * 24.0 / instance.bucket_hours))
    edges = list(range(0, b, width))
    per_window = SchedulerConfig(
        **{
            **cfg.model_dump(),
            "time_limit_s": cfg.time_limit_s / len(edges),
            "fairness": "none",
        }
    )
    greedy = greedy_starts(instance)
    placed = np.bincount(greedy[greedy >= 0] // width, minlength=len(edges))
    extra_per_window = int(placed.max()) if placed.size else 0
    starts = np.full(n, -1, dtype=np.int64)
    residual = instance.capacity.copy()
    status = "OPTIMAL"
    for lo in edges:
        hi = min(b, lo + width)
        dead = ~np.any(instance.start_ok[:, lo:], axis=1)
        jobs, earliest = _window_jobs(
            instance, starts, dead, lo, hi, greedy, max(50, extra_per_window)
        )
        if jobs.size == 0:
            continue
        mask = np.zeros((jobs.size, b), dtype=bool)
        mask[:, lo:hi] = True
        mask &= np.arange(b)[None, :] >= earliest[jobs, None]
        index = {int(j): k for k, j in enumerate(jobs)}
        precedences = [
            (index[int(p)], index[int(q)], int(g))
            for p, q, g in instance.precedences
            if int(p) in index and int(q) in index
        ]
        # Outside the buckets these runs can touch, capacity is irrelevant: show it as the
        # maximum so the model carries no reserved-capacity intervals there.
        reach = min(b, hi + int(instance.duration[jobs].max()))
        capacity = residual.copy()
        top = capacity.max(axis=1, keepdims=True)
        capacity[:, :lo] = top
        capacity[:, reach:] = top
        sub = replace(
            instance,
            capacity=capacity,
            job_request=instance.job_request[jobs],
            job_repeat=instance.job_repeat[jobs],
            job_partner=instance.job_partner[jobs],
            duration=instance.duration[jobs],
            demand=instance.demand[jobs],
            weight=instance.weight[jobs],
            utilisation=instance.utilisation[jobs],
            start_ok=instance.start_ok[jobs] & mask,
            precedences=np.array(precedences, dtype=np.int64).reshape(-1, 3),
            rejections=[],
        )
        result = CpSatScheduler(sub, per_window).solve()
        if result.status != "OPTIMAL":
            status = "FEASIBLE"
        chosen = job_starts(sub, result)
        for k in np.flatnonzero(chosen >= 0):
            j, s = int(jobs[k]), int(chosen[k])
            d = int(instance.duration[j])
            starts[j] = s
            residual[:, s : s + d] -= instance.demand[j][:, None]
    return schedule_from_starts(
        instance,
        starts,
        solver=f"cpsat-rolling ({window_days:g} d windows)",
        status=status,
        wall_s=time.perf_counter() - began,
    )
