"""Communications: data generated, buffered, downlinked direct to Earth or via relay, lost.

Per step: the buffer receives the data generated; the downlink empties up to its capacity
(direct-to-Earth rate while the Earth is in view plus relay rate while a relay window is open,
both scaled by the served fraction of the terminal's power); what exceeds the buffer is lost.
``generated = delivered + lost + buffer change`` holds step by step.

Two classes share the link and the buffer: the station's housekeeping data (its loads'
``data_rate_mbps``) go first; science data (scheduled loads) get the downlink the housekeeping
data leave that step and the buffer room they leave (:func:`buffer_flow` with a per-step
buffer size).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["buffer_flow"]


@numba.njit(cache=True)
def _buffer(generated, capacity_out, size):  # pragma: no cover - compiled
    n = generated.shape[0]
    level = np.empty(n + 1)
    delivered = np.zeros(n)
    lost = np.zeros(n)
    b = 0.0
    level[0] = b
    for t in range(n):
        b += generated[t]
        out = min(b, capacity_out[t])
        delivered[t] = out
        b -= out
        if b > size[t]:
            lost[t] = b - size[t]
            b = size[t]
        level[t + 1] = b
    return level, delivered, lost


def buffer_flow(generated_gbit, downlink_capacity_gbit, buffer_gbit) -> dict:
    """Buffer level ``(T+1,)``, data delivered and lost per step (Gbit).

    ``buffer_gbit`` is the buffer's size: one number, or one per step (the room at the end of
    that step).
    """
    generated = np.ascontiguousarray(generated_gbit, dtype=float)
    size = np.ascontiguousarray(np.broadcast_to(np.asarray(buffer_gbit, float), generated.shape))
    level, delivered, lost = _buffer(
        generated, np.ascontiguousarray(downlink_capacity_gbit, dtype=float), size
    )
    return {"buffer_gbit": level, "delivered_gbit": delivered, "lost_gbit": lost}
