"""A quick upper bound on the weighted science value, independent of CP-SAT.

Relax everything except one resource's total energy: runs become divisible items of weight
``value * priority`` and size ``demand * duration`` (resource-buckets), the knapsack holds the
campaign's total capacity; the fractional knapsack optimum (Dantzig's greedy by density) bounds
every schedule. The bound is the smallest over resources. It ignores windows, time and
precedence, so it is loose where those bind; it needs no solver and scales to any size.
"""

from __future__ import annotations

import numpy as np

from moonbase.science.instance import Instance

__all__ = ["energy_knapsack_bound"]


def energy_knapsack_bound(instance: Instance) -> float:
    """Upper bound on the weighted value (value points) of any schedule of ``instance``."""
    weight = instance.weight.astype(float) / 100.0
    best = float(weight.sum())
    for r in range(len(instance.resource_names)):
        size = (instance.demand[:, r] * instance.duration).astype(float)
        room = float(instance.capacity[r].sum())
        free = size == 0
        total = float(weight[free].sum())
        order = np.flatnonzero(~free)
        order = order[np.argsort(-weight[order] / size[order], kind="stable")]
        filled = np.cumsum(size[order])
        whole = filled <= room
        total += float(weight[order[whole]].sum())
        if not whole.all():
            k = int(np.argmin(whole))
            left = room - (filled[k - 1] if k > 0 else 0.0)
            total += float(weight[order[k]]) * left / float(size[order[k]])
        best = min(best, total)
    return best
