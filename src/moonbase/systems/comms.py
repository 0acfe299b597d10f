"""Communications: data generated, buffered, downlinked direct to Earth or via relay, lost.

Per step: the buffer receives the data generated; the downlink empties up to its capacity
(direct-to-Earth rate while the Earth is in view plus relay rate while a relay window is open,
both scaled by the served fraction of the terminal's power); what exceeds the buffer is lost.
``generated = delivered + lost + buffer change`` holds step by step.
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
        if b > size:
            lost[t] = b - size
            b = size
        level[t + 1] = b
    return level, delivered, lost


def buffer_flow(generated_gbit, downlink_capacity_gbit, buffer_gbit: float) -> dict:
    """Buffer level ``(T+1,)``, data delivered and lost per step (Gbit)."""
    level, delivered, lost = _buffer(
        np.ascontiguousarray(generated_gbit, dtype=float),
        np.ascontiguousarray(downlink_capacity_gbit, dtype=float),
        float(buffer_gbit),
    )
    return {"buffer_gbit": level, "delivered_gbit": delivered, "lost_gbit": lost}
