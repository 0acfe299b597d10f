"""Onboard data buffer: science data wait in it for the downlink.

With a buffer of ``B`` Mbit, data made in a bucket need not go down in that bucket: what the
downlink cannot send waits, and goes down first in later buckets. The buffer's level at the end
of bucket ``t`` is ``L[t] = max(0, L[t-1] + made[t] - downlink[t])`` (``L[-1] = 0``), and a
schedule is feasible when ``L[t] <= B`` in every bucket; with ``B = 0`` that is the per-bucket
limit ``made[t] <= downlink[t]``.

Everything here works on a *residual* row ``downlink - made``, which goes negative in buckets
where more is made than sent (the rest waits in the buffer). From it: the levels (a reflected
random walk, closed form by running minima), the *ceiling* (the highest level at the end of a
bucket from which the data made later still fit: ``M[t] = min(B, M[t+1] + residual[t+1])``),
and so, in ``O(duration)`` per start, which starts leave room for one more run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ceiling", "fits_at", "fitting_starts", "levels", "overflow"]


def levels(residual: np.ndarray, before: int = 0) -> np.ndarray:
    """Buffer level at the end of each bucket, from ``before`` in it before the first.

    >>> levels(np.array([5, -3, -4, 2, 10]))
    array([0, 3, 7, 5, 0])
    """
    inflow = np.cumsum(-np.asarray(residual, dtype=np.int64))
    if inflow.size == 0:
        return inflow
    return inflow - np.minimum(np.minimum.accumulate(inflow), -int(before))


def ceiling(residual: np.ndarray, buffer: int) -> np.ndarray:
    """Highest level at the end of each bucket from which every later level stays within
    ``buffer`` (negative where even an empty buffer overflows later).

    >>> ceiling(np.array([5, -3, -4, 2, 10]), 8)
    array([1, 4, 8, 8, 8])
    """
    residual = np.asarray(residual, dtype=np.int64)
    total = np.cumsum(residual)
    lowest_after = np.minimum.accumulate(total[::-1])[::-1]
    return int(buffer) + lowest_after - total


def fitting_starts(residual: np.ndarray, buffer: int, rate: int, duration: int) -> np.ndarray:
    """Boolean over starts: ``rate`` more per bucket over ``[s, s + duration)`` keeps every
    level within ``buffer`` (False where the run would leave the campaign). ``residual`` must
    be feasible as it is."""
    residual = np.asarray(residual, dtype=np.int64)
    n = residual.size
    ok = np.zeros(n, dtype=bool)
    last = n - duration + 1
    if last <= 0:
        return ok
    level = np.concatenate(([0], levels(residual)[:-1]))[:last]
    fine = np.ones(last, dtype=bool)
    for k in range(duration):  # a loop over the run's buckets, vectorised over starts
        level = np.maximum(0, level + rate - residual[k : k + last])
        fine &= level <= buffer
    fine &= level <= ceiling(residual, buffer)[duration - 1 : duration - 1 + last]
    ok[:last] = fine
    return ok


def fits_at(residual: np.ndarray, buffer: int, rate: int, duration: int, start: int) -> bool:
    """:func:`fitting_starts` for the one start ``start``."""
    residual = np.asarray(residual, dtype=np.int64)
    end = start + duration
    if start < 0 or end > residual.size:
        return False
    level = int(levels(residual[:start])[-1]) if start > 0 else 0
    for t in range(start, end):
        level = max(0, level + rate - int(residual[t]))
        if level > buffer:
            return False
    return level <= int(ceiling(residual[end - 1 :], buffer)[0])


def overflow(residual: np.ndarray, buffer: int) -> np.ndarray:
    """Per bucket, the data (Mbit) that do not fit in the buffer when it is full: what would
    be lost (all zero for a feasible residual). The level stays at ``buffer`` after a loss.

    >>> overflow(np.array([-5, -5, 10, -7]), 8)
    array([0, 2, 0, 0])
    """
    lost = np.zeros(len(residual), dtype=np.int64)
    _overflow(np.asarray(residual, dtype=np.int64), int(buffer), lost)
    return lost


@njit(cache=True)
def _overflow(residual, buffer, lost):  # pragma: no cover - compiled
    level = 0
    for t in range(residual.size):
        level = max(0, level - residual[t])
        if level > buffer:
            lost[t] = level - buffer
            level = buffer
