"""Windows: the runs of ``True`` in a condition over time, and the one search that finds them.

Every stage speaks of windows (sunlit spans, Earth in view, eclipses of a relay, a battery's
longest night, the buckets a run may occupy). They are all :class:`Windows`: two float arrays
``start`` and ``stop`` of half-open intervals ``[start, stop)`` on one axis. The axis is the
creator's to state, and it is one of two:

* **sample indices** (:meth:`Windows.from_flags` without times): ``stop`` is exclusive, so
  ``durations`` counts samples (multiply by the step for a time);
* **TDB seconds past J2000** (:func:`find_windows`, and :meth:`Windows.from_flags` given such
  times): durations are seconds; :meth:`Windows.start_times` gives them back as :class:`Time`.

:func:`find_windows` is the generic event search (in the manner of Skyfield's
``find_discrete``): a *predicate* ``f(t) -> bool array`` with a ``step_days`` attribute is
sampled every ``step_days`` and each change is bisected to ``tolerance_s``. The predicates of
the words "sunlit", "Earth in view" and "relay in view" are in :mod:`moonbase.site.predicates`.

>>> w = Windows.from_flags([False, True, True, False, True])
>>> w.start.tolist(), w.stop.tolist(), w.durations.tolist()
([1.0, 4.0], [3.0, 5.0], [2.0, 1.0])
>>> w.longest(), w.total
((2.0, 1.0), 3.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from moonbase.constants import DAY_S, J2000_JD
from moonbase.errors import InputError
from moonbase.time import Time, parse_utc, tdb_seconds, timescale

__all__ = ["DEFAULT_TOLERANCE_S", "Windows", "bucket_open", "find_windows", "runs"]

#: Default precision of :func:`find_windows`: one second.
DEFAULT_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class Windows:
    """Half-open intervals ``[start, stop)`` where a condition holds, sorted and disjoint.

    ``start`` and ``stop`` are float arrays on one axis: sample indices or TDB seconds past
    J2000 (see the module docstring).
    """

    start: np.ndarray
    stop: np.ndarray

    def __post_init__(self):
        start = np.asarray(self.start, dtype=float).reshape(-1)
        stop = np.asarray(self.stop, dtype=float).reshape(-1)
        if start.shape != stop.shape:
            raise InputError(f"{start.size} window starts but {stop.size} stops", field="stop")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)

    @classmethod
    def empty(cls) -> Windows:
        return cls(np.empty(0), np.empty(0))

    @classmethod
    def from_flags(cls, flags, times=None, *, value=None, threshold: float = 0.0) -> Windows:
        """The runs of ``True`` in a 1-D boolean series.

        Without ``times`` the axis is the sample index: a run over samples ``i .. j-1`` is
        ``[i, j)``. With ``times`` (increasing floats, e.g. TDB seconds) an edge between
        samples ``k`` and ``k + 1`` lies half-way between their times, or, when ``value`` is
        given (a continuous series, above ``threshold`` where the condition holds), where
        ``value - threshold`` crosses zero by linear interpolation; runs still open at either
        end are cut at ``times[0]`` / ``times[-1]``.
        """
        flags = np.asarray(flags, dtype=bool).reshape(-1)
        if flags.size == 0:
            return cls.empty()
        padded = np.concatenate(([False], flags, [False])).astype(np.int8)
        edges = np.diff(padded)
        first = np.flatnonzero(edges == 1)  # index of a run's first sample
        after = np.flatnonzero(edges == -1)  # index one past a run's last sample
        if times is None:
            return cls(first.astype(float), after.astype(float))
        t = np.asarray(times, dtype=float).reshape(-1)
        if t.shape != flags.shape:
            raise InputError(f"{t.size} times for {flags.size} flags", field="times")
        if value is None:
            frac = np.full(flags.size - 1, 0.5)
        else:
            f = np.asarray(value, dtype=float).reshape(-1) - threshold
            f0, f1 = f[:-1], f[1:]
            frac = np.clip(-f0 / np.where(f1 != f0, f1 - f0, 1.0), 0.0, 1.0)
        # An edge between samples k-1 and k (k = first or after, 0 < k < n) sits at k - 1 + frac.
        n = flags.size

        def edge(k):
            inner = (k > 0) & (k < n)
            out = np.where(k <= 0, t[0], t[-1])
            j = k[inner] - 1
            out[inner] = t[j] + frac[j] * (t[j + 1] - t[j])
            return out

        return cls(edge(first), edge(after))

    @property
    def durations(self) -> np.ndarray:
        """``stop - start`` of every window (samples or seconds, the axis's unit)."""
        return self.stop - self.start

    @property
    def total(self) -> float:
        """Sum of the durations."""
        return float(self.durations.sum())

    def longest(self) -> tuple[float, float | None]:
        """``(duration, start)`` of the longest window (the first of equals); ``(0.0, None)``
        when there is none."""
        if len(self) == 0:
            return 0.0, None
        best = int(np.argmax(self.durations))
        return float(self.durations[best]), float(self.start[best])

    def gaps(self, span_start: float, span_stop: float) -> Windows:
        """The complement of these windows inside ``[span_start, span_stop)``."""
        starts = np.concatenate([[span_start], self.stop])
        stops = np.concatenate([self.start, [span_stop]])
        keep = stops > starts
        return Windows(starts[keep], stops[keep])

    def index_pairs(self) -> list[tuple[int, int]]:
        """Closed integer intervals ``(first, last)`` of an index-axis :class:`Windows`."""
        return [(int(a), int(b) - 1) for a, b in zip(self.start, self.stop, strict=True)]

    def start_times(self) -> Time:
        """Starts of TDB-second windows as a :class:`Time` array."""
        return _tdb_time(self.start)

    def stop_times(self) -> Time:
        """Stops of TDB-second windows as a :class:`Time` array."""
        return _tdb_time(self.stop)

    def __len__(self) -> int:
        return int(self.start.size)

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return iter(zip(self.start.tolist(), self.stop.tolist(), strict=True))


def runs(flags) -> Windows:
    """:meth:`Windows.from_flags` on the sample-index axis (the runs of ``True`` in ``flags``)."""
    return Windows.from_flags(flags)


def bucket_open(flags, samples_per_bucket: int, *, min_open_fraction: float = 1.0) -> np.ndarray:
    """The one bucket rule: a window is open in a bucket when it is open at (at least
    ``min_open_fraction`` of) the bucket's samples; by default at every sample, i.e. for the
    whole bucket. ``flags`` is ``(..., n)``; a trailing partial bucket is dropped.
    """
    if samples_per_bucket < 1:
        raise InputError("must be at least 1", field="samples_per_bucket")
    values = np.asarray(flags, dtype=bool)
    n = values.shape[-1] // samples_per_bucket
    folded = values[..., : n * samples_per_bucket].reshape(
        values.shape[:-1] + (n, samples_per_bucket)
    )
    return folded.mean(axis=-1) >= min_open_fraction - 1e-12


def _tdb_time(seconds) -> Time:
    seconds = np.asarray(seconds, dtype=float)
    return timescale().tdb_jd(J2000_JD, seconds / DAY_S)


def find_windows(
    predicate: Callable[[Time], np.ndarray],
    start,
    stop,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> Windows:
    """Windows in ``[start, stop]`` where ``predicate(t)`` is true, edges to ``tolerance_s``.

    ``predicate`` maps a :class:`Time` array to a boolean array of the same shape and has a
    ``step_days`` attribute: the sampling interval, shorter than the briefest window or gap
    (what falls between two samples is missed). Each change between samples is bisected,
    all together, until its bracket is shorter than ``tolerance_s``; the edge is the bracket's
    midpoint. Windows open at ``start`` or ``stop`` are cut there. The axis is TDB seconds
    past J2000 (:meth:`Windows.start_times` for times).
    """
    start_t, stop_t = parse_utc(start, field="start"), parse_utc(stop, field="stop")
    step_days = getattr(predicate, "step_days", None)
    if step_days is None or not np.isfinite(step_days) or step_days <= 0:
        raise InputError(
            "the predicate has no positive step_days attribute",
            field="predicate",
            hint="set predicate.step_days to the sampling interval in days, e.g. 1 / 24",
        )
    if tolerance_s <= 0:
        raise InputError("must be positive", field="tolerance_s")
    t0, t1 = float(tdb_seconds(start_t)), float(tdb_seconds(stop_t))
    if t1 <= t0:
        raise InputError("stop is not after start", field="stop")
    n = max(int(np.ceil((t1 - t0) / (step_days * DAY_S))), 1) + 1
    et = np.linspace(t0, t1, n)
    flags = np.asarray(predicate(_tdb_time(et)), dtype=bool).reshape(-1)
    change = np.flatnonzero(flags[1:] != flags[:-1])
    lo, hi = et[change], et[change + 1]
    lo_flag = flags[change]
    while lo.size and np.max(hi - lo) > tolerance_s:
        mid = 0.5 * (lo + hi)
        mid_flag = np.asarray(predicate(_tdb_time(mid)), dtype=bool).reshape(-1)
        same = mid_flag == lo_flag
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    edges = 0.5 * (lo + hi)
    rising = ~lo_flag
    starts, stops = edges[rising], edges[~rising]
    if flags[0]:
        starts = np.concatenate([[t0], starts])
    if flags[-1]:
        stops = np.concatenate([stops, [t1]])
    return Windows(starts, stops)
