"""Random failures and repairs: exponential times between failures (MTBF), repairs with spares.

A component works for an exponential time of mean ``mtbf_h``, fails, and is back after
``mttr_h`` if a spare is on hand (one spare used per repair); with no spare left the failure is
final. Draws come from a seeded :class:`numpy.random.Generator`, one component after another in
station order, so a seed reproduces a run.
"""

from __future__ import annotations

import numpy as np

__all__ = ["availability"]


def availability(
    n_steps: int,
    step_h: float,
    *,
    mtbf_h: float | None,
    mttr_h: float,
    spares: int,
    start_index: int,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, int, bool]:
    """Working mask ``(n_steps,)`` (False while failed), failures, and whether one was final.

    Steps before ``start_index`` (arrival) count as working; presence is handled elsewhere.
    """
    working = np.ones(n_steps, dtype=bool)
    if mtbf_h is None or rng is None or start_index >= n_steps:
        return working, 0, False
    horizon_h = (n_steps - start_index) * step_h
    expected = horizon_h / mtbf_h
    k = int(expected + 6.0 * np.sqrt(expected) + 10)
    up_h = rng.exponential(mtbf_h, size=k)
    down_h = np.where(np.arange(k) < spares, mttr_h, np.inf)
    fail_h = np.cumsum(up_h) + np.concatenate(([0.0], np.cumsum(down_h)[:-1]))
    restore_h = fail_h + down_h
    inside = fail_h < horizon_h
    n_fail = int(inside.sum())
    if n_fail == 0:
        return working, 0, False
    fail_i = start_index + np.ceil(fail_h[inside] / step_h).astype(np.int64)
    restore = restore_h[inside]
    restore_i = np.where(
        np.isfinite(restore),
        start_index + np.ceil(np.minimum(restore, horizon_h + step_h) / step_h),
        n_steps,
    ).astype(np.int64)
    delta = np.zeros(n_steps + 1, dtype=np.int64)
    np.add.at(delta, np.minimum(fail_i, n_steps), -1)
    np.add.at(delta, np.minimum(restore_i, n_steps), 1)
    working = np.cumsum(delta)[:n_steps] >= 0
    final = bool(np.isinf(restore[-1]))
    return working, n_fail, final
