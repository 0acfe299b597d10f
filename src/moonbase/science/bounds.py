"""Upper bounds on the weighted science value, independent of CP-SAT.

**Energy knapsack** (any size, no solver).

Relax everything except one resource's total energy: runs become divisible items of weight
``value * priority`` and size ``demand * duration`` (resource-buckets), the knapsack holds the
campaign's total capacity (for the downlink with a data buffer, plus the buffer, which may
still hold data at the end); the fractional knapsack optimum (Dantzig's greedy by density)
bounds every schedule. The bound is the smallest over resources. It ignores windows, time and
precedence, so it is loose where those bind; it needs no solver and scales to any size.

The same knapsack's *critical density* (the value per unit of the resource at which the
knapsack is filled) is that resource's price in the linear relaxation's dual:
:func:`knapsack_per_resource` returns both, and :mod:`moonbase.science.priced` ranks runs by it.

**Time-indexed linear relaxation** (:func:`lp_bound`; HiGHS through scipy). A variable
``x[j, s]`` in ``[0, 1]`` for every allowed start ``s`` of run ``j``; each run starts at most
once; in every bucket each resource's use is within its capacity (with a data buffer, the
downlink's balance holds with a level variable per bucket: made + level before - level after
<= downlink); a precedence ``p -> q`` with gap ``g`` in its aggregated (strong) form: for
every bucket ``t``, the fraction of ``q`` started by ``t`` is at most the fraction of ``p``
started by ``t - d_p - g``. It sees windows, the
capacity of each bucket and the precedences, which the knapsack does not: on a 60-day synthetic
campaign it is 12 % below the knapsack (and below the bound CP-SAT proves in minutes), on
120 days 2 %. Its size grows with runs x allowed starts x duration: seconds for hundreds of
requests over a few months, too large for years of thousands (:func:`lp_bound` refuses to
build one beyond ``max_nonzeros``): there the knapsack is the bound (on the 120-day campaign the
LP without the precedence rows already equalled the knapsack).

Both bounds relax integrality, and runs of days that need a large share of a day's downlink do
not pack without loss: on synthetic 30-day campaigns (82 requests) that CP-SAT solves to
optimality, the optimum lies 2.3 to 2.7 % below the LP bound
(``benchmarks/bench_science_integrality.py``); with a 500 Gbit data buffer, which lets a day's
data wait for later days, 0.3 to 0.5 %. A schedule's distance below either bound is
therefore an upper limit on its distance from the optimum, not the distance itself.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from moonbase.science.instance import Instance

__all__ = ["energy_knapsack_bound", "knapsack_per_resource", "lp_bound"]


def knapsack_per_resource(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Per constrained resource: the fractional-knapsack bound (value points) and the critical
    density (value points per unit of the resource's integer unit and bucket; 0 when every run
    fits)."""
    weight = instance.weight.astype(float) / 100.0
    n_res = len(instance.resource_names)
    bounds, densities = np.full(n_res, weight.sum()), np.zeros(n_res)
    for r in range(n_res):
        size = (instance.demand[:, r] * instance.duration).astype(float)
        room = float(instance.capacity[r].sum())
        if r == instance.buffered:  # data may still wait in the buffer at the end
            room += instance.data_buffer_mbit
        free = size == 0
        order = np.flatnonzero(~free)
        order = order[np.argsort(-weight[order] / size[order], kind="stable")]
        filled = np.cumsum(size[order])
        k = int(np.searchsorted(filled, room, side="right"))
        if k == order.size:
            continue
        densities[r] = weight[order[k]] / size[order[k]]
        left = room - (filled[k - 1] if k > 0 else 0.0)
        bounds[r] = weight[free].sum() + weight[order[:k]].sum() + densities[r] * left
    return bounds, densities


def energy_knapsack_bound(instance: Instance) -> float:
    """Upper bound on the weighted value (value points) of any schedule of ``instance``."""
    bounds, _ = knapsack_per_resource(instance)
    return float(min(bounds.min(initial=np.inf), instance.weight.sum() / 100.0))


def lp_bound(
    instance: Instance,
    *,
    time_limit_s: float | None = None,
    max_nonzeros: int = 20_000_000,
) -> float:
    """Upper bound (value points) from the time-indexed linear relaxation (module docstring).

    Raises :class:`RuntimeError` if HiGHS does not reach the LP optimum within
    ``time_limit_s`` (an unfinished LP bounds nothing), or before building anything if the
    capacity rows would hold more than ``max_nonzeros`` entries (about 100 bytes of memory
    each while building; a synthetic year of 1,000 requests has 7 million, ten years of 10,000
    have 730 million).
    """
    nonzeros = int(
        (
            instance.start_ok.sum(axis=1)
            * instance.duration
            * np.count_nonzero(instance.demand, axis=1)
        ).sum()
    )
    if nonzeros > max_nonzeros:
        raise RuntimeError(
            f"the LP relaxation is too large to build: {nonzeros:,} capacity entries, more "
            f"than {max_nonzeros:,}; at this size the energy knapsack is the bound"
        )
    jobs, starts = np.nonzero(instance.start_ok)
    if jobs.size == 0:  # nothing can run (every request rejected, or no start allowed)
        return 0.0
    tracked = np.unique(instance.precedences[:, :2])
    n_xy = jobs.size + tracked.size * instance.n_buckets  # x, then y (see _precedence_rows)
    n_levels = instance.n_buckets if instance.buffered is not None else 0
    n_cols = n_xy + n_levels  # then the data buffer's levels, if any
    once = _coo([(jobs, np.arange(jobs.size), np.ones(jobs.size))], (instance.n_jobs, n_cols))
    usage, capacity = _bucket_rows(instance, jobs, starts, n_cols)
    started, ordered = _precedence_rows(instance, jobs, starts, tracked)
    if n_levels:
        started = _widen(started, n_cols)
        ordered = _widen(ordered, n_cols)
    bounds = np.zeros((n_cols, 2))
    bounds[:, 1] = 1.0
    bounds[n_xy:, 1] = instance.data_buffer_mbit
    value = np.zeros(n_cols)
    value[: jobs.size] = instance.weight[jobs] / 100.0
    result = linprog(
        -value,
        A_ub=sp.vstack([once, usage, ordered]),
        b_ub=np.concatenate([np.ones(instance.n_jobs), capacity, np.zeros(ordered.shape[0])]),
        A_eq=started if started.shape[0] else None,
        b_eq=np.zeros(started.shape[0]) if started.shape[0] else None,
        bounds=bounds,
        method="highs",
        options={} if time_limit_s is None else {"time_limit": float(time_limit_s)},
    )
    if result.status != 0:
        raise RuntimeError(f"the LP relaxation was not solved to optimality: {result.message}")
    return float(-result.fun)


def _bucket_rows(instance: Instance, jobs: np.ndarray, starts: np.ndarray, n_cols: int):
    """Use of each resource in each bucket by the start variables (column ``k`` for
    ``jobs[k]`` starting at ``starts[k]``), for the (resource, bucket) pairs that could be over
    capacity at all; and those capacities."""
    duration = instance.duration[jobs]
    var = np.repeat(np.arange(jobs.size), duration)
    bucket = starts[var] + np.arange(var.size) - np.repeat(np.cumsum(duration) - duration, duration)
    matrices, capacities = [sp.csr_matrix((0, n_cols))], [np.zeros(0)]
    b = instance.n_buckets
    for r in range(len(instance.resource_names)):
        demand = instance.demand[jobs[var], r].astype(float)
        worst = np.bincount(bucket, weights=demand, minlength=b)
        buffered = r == instance.buffered
        binding = np.arange(b) if buffered else np.flatnonzero(worst > instance.capacity[r])
        row = np.full(b, -1)
        row[binding] = np.arange(binding.size)
        keep = (row[bucket] >= 0) & (demand > 0)
        entries = [(row[bucket[keep]], var[keep], demand[keep])]
        if buffered:  # made + level[t-1] - level[t] <= downlink; levels are the last columns
            level = n_cols - b + np.arange(b)
            entries.append((np.arange(b), level, -np.ones(b)))
            entries.append((np.arange(1, b), level[:-1], np.ones(b - 1)))
        matrices.append(_coo(entries, (binding.size, n_cols)))
        capacities.append(instance.capacity[r, binding].astype(float))
    return sp.vstack(matrices), np.concatenate(capacities)


def _precedence_rows(instance: Instance, jobs: np.ndarray, starts: np.ndarray, tracked):
    """For the ``tracked`` runs (those in precedences) the fraction ``y[j, t]`` started by
    bucket ``t``: equality rows ``y[j, t] - y[j, t-1] - x[j, t] = 0``; and for each precedence
    the rows ``y[q, t] - y[p, t - d_p - g] <= 0``. Columns: the ``x`` of :func:`lp_bound`, then
    ``y``."""
    n_x, b = jobs.size, instance.n_buckets
    slot = np.full(instance.n_jobs, -1)
    slot[tracked] = np.arange(tracked.size)
    y = n_x + np.arange(tracked.size * b).reshape(tracked.size, b)  # column of y[slot, t]
    rows = y - n_x
    mine = np.flatnonzero(slot[jobs] >= 0)
    started = _coo(
        [
            (rows.ravel(), y.ravel(), np.ones(y.size)),
            (rows[:, 1:].ravel(), y[:, :-1].ravel(), -np.ones(y.size - tracked.size)),
            (rows[slot[jobs[mine]], starts[mine]], mine, -np.ones(mine.size)),
        ],
        (y.size, n_x + y.size),
    )
    t = np.arange(b)
    entries = []
    for k, (p, q, gap) in enumerate(instance.precedences):
        ready = t - int(instance.duration[p]) - int(gap)
        entries.append((k * b + t, y[slot[q]], np.ones(b)))
        entries.append(
            (k * b + t[ready >= 0], y[slot[p], ready[ready >= 0]], -np.ones(b)[ready >= 0])
        )
    ordered = _coo(entries, (len(instance.precedences) * b, n_x + y.size))
    return started, ordered


def _widen(matrix: sp.csr_matrix, n_cols: int) -> sp.csr_matrix:
    """``matrix`` with empty columns added up to ``n_cols``."""
    return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), (matrix.shape[0], n_cols))


def _coo(entries, shape) -> sp.csr_matrix:
    """A sparse matrix from ``(rows, columns, values)`` parts."""
    if not entries:
        return sp.csr_matrix(shape)
    rows, cols, values = (np.concatenate(parts) for parts in zip(*entries, strict=True))
    return sp.csr_matrix((values, (rows, cols)), shape=shape)
