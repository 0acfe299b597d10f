"""Price-guided greedy: the runs that buy the most value per priced resource, first.

The greedy baseline (:mod:`moonbase.science.greedy`) takes runs by weighted value alone, so a
valuable run that fills a day's downlink shuts out several cheaper ones worth more together.
Here each run is ranked by its *value density*: weighted value over the priced cost of its
cheapest allowed span, under prices per resource and bucket (e.g. the duals of a relaxation)
or, by default, the fractional-knapsack price of the scarcest resource (its critical value
density, constant in time). Runs are then placed in that
order at their earliest feasible start (windows, capacity, predecessors), as the baseline does,
in as many passes as it takes for nothing more to fit (a run whose predecessor was placed later
in the first pass gets its turn in the next).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from moonbase.science.bounds import knapsack_per_resource
from moonbase.science.greedy import _place, greedy_starts
from moonbase.science.instance import Instance

__all__ = [
    "better_greedy_starts",
    "fill_priced",
    "knapsack_prices",
    "price_runs",
    "priced_starts",
    "value_density",
]


def _scale(instance: Instance) -> np.ndarray:
    """Each resource's campaign-mean capacity (1 where it is 0): the unit prices are in."""
    mean = instance.capacity.mean(axis=1).astype(float) if instance.n_buckets else np.ones(0)
    return np.where(mean > 0, mean, 1.0)


@njit(parallel=True, cache=True)
def _cheapest_starts(prefix, demand, duration, start_ok, cost_out, start_out):
    """For every run, the allowed start of least priced cost (``-1`` when none is allowed)."""
    n_jobs, n_res = demand.shape
    n_buckets = start_ok.shape[1]
    for j in prange(n_jobs):
        d = duration[j]
        best = np.inf
        where = -1
        for s in range(n_buckets - d + 1):
            if not start_ok[j, s]:
                continue
            c = 0.0
            for r in range(n_res):
                if demand[j, r] != 0.0:
                    c += demand[j, r] * (prefix[r, s + d] - prefix[r, s])
            if c < best:
                best = c
                where = s
        cost_out[j] = best
        start_out[j] = where


def price_runs(instance: Instance, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest allowed start of every run under ``prices`` ``(R, B)`` (value points per
    mean-capacity unit and bucket) and its priced cost; start ``-1`` and cost inf when none."""
    demand = instance.demand / _scale(instance)[None, :]
    prefix = np.zeros((prices.shape[0], prices.shape[1] + 1))
    np.cumsum(prices, axis=1, out=prefix[:, 1:])
    cost = np.empty(instance.n_jobs)
    start = np.empty(instance.n_jobs, dtype=np.int64)
    _cheapest_starts(
        prefix,
        np.ascontiguousarray(demand, dtype=np.float64),
        instance.duration.astype(np.int64),
        instance.start_ok,
        cost,
        start,
    )
    return cost, start


def knapsack_prices(instance: Instance) -> np.ndarray:
    """Prices ``(R, B)`` in mean-capacity units: the scarcest resource's knapsack density.

    The resource whose fractional knapsack (:func:`moonbase.science.bounds.knapsack_per_resource`)
    gives the smallest bound is priced at its critical density in every bucket; the others are
    free. With these prices the Lagrangian value of the relaxation is that knapsack bound.
    """
    bounds, densities = knapsack_per_resource(instance)
    prices = np.zeros(instance.capacity.shape)
    if bounds.size:
        r = int(np.argmin(bounds))
        prices[r] = densities[r] * _scale(instance)[r]
    return prices


def value_density(instance: Instance, prices: np.ndarray | None = None) -> np.ndarray:
    """Weighted value of each run over the priced cost of its cheapest allowed span (inf when
    it costs nothing); ``prices`` default to :func:`knapsack_prices`."""
    cost, _ = price_runs(instance, knapsack_prices(instance) if prices is None else prices)
    weight = instance.weight / 100.0
    return np.where(cost > 0, weight / np.where(cost > 0, cost, 1.0), np.inf)


def priced_starts(instance: Instance, prices: np.ndarray | None = None) -> np.ndarray:
    """Start bucket of each run (``-1``: left out) under the price-guided greedy rule."""
    starts = np.full(instance.n_jobs, -1, dtype=np.int64)
    return fill_priced(instance, starts, instance.capacity.copy(), prices)


def fill_priced(
    instance: Instance,
    starts: np.ndarray,
    residual: np.ndarray,
    prices: np.ndarray | None = None,
) -> np.ndarray:
    """``starts`` with the runs it leaves out (``-1``) added by the price-guided greedy rule
    where ``residual`` ``(R, B)`` (the capacity the placed runs leave; updated) has room; the
    placed runs stay where they are."""
    density = value_density(instance, prices)
    order = np.lexsort((np.arange(instance.n_jobs), -instance.weight, -density))
    preds = instance.predecessors()
    starts = np.asarray(starts, dtype=np.int64).copy()
    placed = -1
    while placed != int((starts >= 0).sum()):
        placed = int((starts >= 0).sum())
        for j in order:
            if starts[j] < 0:
                _place(instance, residual, starts, int(j), preds)
    return starts


def better_greedy_starts(instance: Instance) -> np.ndarray:
    """The more valuable of the priority-order greedy and the price-guided greedy schedules.

    Neither rule dominates: by value density usually wins when one resource binds, but on
    small campaigns ranking by value alone sometimes packs better.
    """
    candidates = (priced_starts(instance), greedy_starts(instance))
    return max(candidates, key=lambda starts: int(instance.weight[starts >= 0].sum()))
