"""Chebyshev-series evaluation of SPICE type-2 segments (SPK positions, binary PCK angles).

The coefficients come from ``jplephem``'s readers; the evaluation is a compiled loop over epochs
(Clenshaw recurrence for the value and its derivative), which is what makes hourly series over
decades cheap. Times are TDB seconds past J2000 (SPICE "ET").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def _clenshaw(coefficients, init_s, interval_s, et_s, value, rate):  # pragma: no cover - compiled
    n_records, n_components, n_coefficients = coefficients.shape
    for i in prange(et_s.shape[0]):
        record = int(np.floor((et_s[i] - init_s) / interval_s))
        if record >= n_records:
            record = n_records - 1
        elif record < 0:
            record = 0
        s = 2.0 * (et_s[i] - init_s - record * interval_s) / interval_s - 1.0
        for c in range(n_components):
            b1 = 0.0
            b2 = 0.0
            d1 = 0.0
            d2 = 0.0
            for j in range(n_coefficients - 1, 0, -1):
                b0 = coefficients[record, c, j] + 2.0 * s * b1 - b2
                d0 = 2.0 * b1 + 2.0 * s * d1 - d2
                b2 = b1
                b1 = b0
                d2 = d1
                d1 = d0
            value[c, i] = coefficients[record, c, 0] + s * b1 - b2
            rate[c, i] = (b1 + s * d1 - d2) * 2.0 / interval_s


@dataclass(frozen=True, eq=False)
class ChebyshevSegment:
    """One type-2 segment: equal-length records, each a Chebyshev series per component.

    ``coefficients`` has shape ``(records, components, degree + 1)``; ``init_s`` and ``interval_s``
    are the start of the first record and the record length in TDB seconds past J2000;
    ``start_s`` and ``stop_s`` the span the segment's descriptor declares valid.
    """

    init_s: float
    interval_s: float
    coefficients: np.ndarray
    start_s: float
    stop_s: float

    @classmethod
    def from_jplephem(
        cls,
        init_s: float,
        interval_s: float,
        coefficients: np.ndarray,
        start_s: float,
        stop_s: float,
    ):
        """Build from jplephem's ``(init, intlen, coefficients)``.

        jplephem keeps its coefficients as ``[coefficient, component, record]`` with the highest
        order first; they are stored here as ``[record, component, coefficient]``, constant first.
        """
        ordered = np.transpose(coefficients[::-1], (2, 1, 0))
        ordered = np.ascontiguousarray(ordered, dtype=np.float64)
        return cls(float(init_s), float(interval_s), ordered, float(start_s), float(stop_s))

    def evaluate(self, et_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(components, N)`` and their rates per second at TDB seconds ``et_s`` ``(N,)``.

        The caller checks coverage; epochs outside are clamped to the first or last record.
        """
        et_s = np.ascontiguousarray(et_s, dtype=np.float64)
        components = self.coefficients.shape[1]
        value = np.empty((components, et_s.shape[0]))
        rate = np.empty((components, et_s.shape[0]))
        _clenshaw(self.coefficients, self.init_s, self.interval_s, et_s, value, rate)
        return value, rate
