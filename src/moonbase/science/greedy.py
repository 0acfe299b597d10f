"""Greedy priority baseline: runs in order of weighted value, each at its earliest feasible start.

Order: weighted value (``value * priority``) inherited upwards along dependencies (a run is at
least as urgent as anything waiting on it), then dependency depth, then input order. Each run
goes to the earliest start where its windows are open, every resource has room for the whole
run (the data buffer too, if any) and its predecessors have ended; a run that fits nowhere is
left out. No fairness, unless ``fair=True`` (the next run then comes from the partner furthest
below its entitlement).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from moonbase.science.instance import Instance, fitting_starts
from moonbase.science.solution import Schedule, schedule_from_starts

__all__ = ["greedy_starts", "schedule_greedy"]


def _order(instance: Instance) -> np.ndarray:
    n = instance.n_jobs
    key = instance.weight.astype(float).copy()
    depth = np.zeros(n, dtype=np.int64)
    preds: list[list[int]] = [[] for _ in range(n)]
    for p, q, _ in instance.precedences:
        preds[int(q)].append(int(p))
    # depth by relaxation (the graph is acyclic, so at most n rounds; usually a handful)
    for _ in range(n):
        changed = False
        for q in range(n):
            for p in preds[q]:
                if depth[q] < depth[p] + 1:
                    depth[q] = depth[p] + 1
                    changed = True
        if not changed:
            break
    # inherit urgency from successors, deepest first
    for q in np.argsort(-depth, kind="stable"):
        for p in preds[q]:
            key[p] = max(key[p], key[q])
    return np.lexsort((np.arange(n), depth, -key))


def _place(instance, residual, starts, j, preds) -> None:
    """Put job ``j`` at its earliest feasible start, if any (updates ``residual``/``starts``)."""
    earliest = 0
    if any(starts[p] < 0 for p, _ in preds[j]):
        return
    for p, gap in preds[j]:
        earliest = max(earliest, starts[p] + int(instance.duration[p]) + gap)
    d = int(instance.duration[j])
    need = instance.demand[j]
    ok = instance.start_ok[j] & fitting_starts(instance, residual, need, d)
    ok[:earliest] = False
    candidates = np.flatnonzero(ok)
    if candidates.size:
        s = int(candidates[0])
        starts[j] = s
        residual[:, s : s + d] -= need[:, None]


def greedy_starts(instance: Instance, *, fair: bool = False) -> np.ndarray:
    """Start bucket of each job under the greedy rule (``-1`` = left out).

    With ``fair=True`` the next run is taken from the partner furthest below its entitlement
    (largest ``e_i * (U + u) - U_i`` in utilisation units, ``U`` over all runs placed so far),
    in that partner's greedy order; partners without an entitlement come last. A run whose
    predecessor has not been considered yet waits at the end of its partner's queue.
    """
    n_jobs = instance.n_jobs
    residual = instance.capacity.copy()
    starts = np.full(n_jobs, -1, dtype=np.int64)
    preds = instance.predecessors()
    order = _order(instance)
    entitled = np.isfinite(instance.entitlement)
    if not fair or not entitled.any():
        for j in order:
            _place(instance, residual, starts, int(j), preds)
        return starts
    queues = {i: deque() for i in range(len(instance.partner_ids))}
    for j in order:
        queues[int(instance.job_partner[j])].append(int(j))
    delivered = np.zeros(len(instance.partner_ids))
    done = np.zeros(n_jobs, dtype=bool)
    entitlement = np.where(entitled, instance.entitlement, 0.0)
    while any(queues.values()):
        total = delivered.sum()
        best, best_deficit = None, -np.inf
        for i, queue in queues.items():
            if not queue:
                continue
            u = instance.utilisation[queue[0]]
            deficit = entitlement[i] * (total + u) - delivered[i] if entitled[i] else -1e300
            if deficit > best_deficit:
                best, best_deficit = i, deficit
        j = queues[best].popleft()
        if any(not done[p] for p, _ in preds[j]):
            queues[best].append(j)
            continue
        done[j] = True
        _place(instance, residual, starts, j, preds)
        if starts[j] >= 0:
            delivered[best] += instance.utilisation[j]
    return starts


def schedule_greedy(instance: Instance, *, fair: bool = False) -> Schedule:
    """The greedy baseline schedule of ``instance`` (``fair``: see :func:`greedy_starts`)."""
    began = time.perf_counter()
    starts = greedy_starts(instance, fair=fair)
    return schedule_from_starts(
        instance,
        starts,
        solver="greedy-fair" if fair else "greedy",
        status="HEURISTIC",
        wall_s=time.perf_counter() - began,
    )
