"""A quick upper bound on the weighted science value, independent of CP-SAT.

Relax everything except one resource's total energy: runs become divisible items of weight
``value * priority`` and size ``demand * duration`` (resource-buckets), the knapsack holds the
campaign's total capacity; the fractional knapsack optimum (Dantzig's greedy by density) bounds
every schedule. The bound is the smallest over resources. It ignores windows, time and
precedence, so it is loose where those bind; it needs no solver and scales to any size.

The same knapsack's *critical density* (the value per unit of the resource at which the
knapsack is filled) is that resource's price in the linear relaxation's dual:
:func:`knapsack_per_resource` returns both, and :mod:`moonbase.science.priced` ranks runs by it.
"""

from __future__ import annotations

import numpy as np

from moonbase.science.instance import Instance

__all__ = ["energy_knapsack_bound", "knapsack_per_resource"]


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
