"""The one windows type and the generic search (moonbase.windows)."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.errors import InputError
from moonbase.time import parse_utc, tdb_seconds
from moonbase.windows import Windows, bucket_open, find_windows, runs

SECOND = 1.0


@pytest.mark.parametrize(
    ("flags", "pairs"),
    [
        ([], []),
        ([False, False], []),
        ([True, True, True], [(0, 2)]),
        ([True, False, True], [(0, 0), (2, 2)]),
        ([False, True, True, False], [(1, 2)]),
        ([True, False, False, True, True], [(0, 0), (3, 4)]),
    ],
)
def test_from_flags_hand_made(flags, pairs):
    w = Windows.from_flags(flags)
    assert w.index_pairs() == pairs
    assert len(w) == len(pairs)
    assert w.total == sum(b - a + 1 for a, b in pairs)


def test_longest_total_and_gaps():
    w = runs([False, True, True, False, True, True, True, False])
    assert w.longest() == (3.0, 4.0)
    assert w.total == 5.0
    assert runs([False]).longest() == (0.0, None)
    gaps = w.gaps(0.0, 8.0)
    assert list(gaps) == [(0.0, 1.0), (3.0, 4.0), (7.0, 8.0)]
    assert runs([True] * 4).gaps(0.0, 4.0).total == 0.0


def test_from_flags_with_times_and_interpolated_edges():
    t = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    w = Windows.from_flags([True, True, False, False, True], t)
    assert list(w) == [(0.0, 15.0), (35.0, 40.0)]  # mid-way edges, cut at the span's ends
    value = np.array([1.0, 1.0, -3.0, -1.0, 1.0])  # crossings at 12.5 and 35
    w = Windows.from_flags(value > 0, t, value=value)
    assert list(w) == [(0.0, 12.5), (35.0, 40.0)]


def test_bucket_rule_open_for_the_whole_bucket():
    flags = [True, True, True, False, True, True, True]
    assert bucket_open(flags, 2).tolist() == [True, False, True]  # the 7th sample is dropped
    assert bucket_open(flags, 2, min_open_fraction=0.5).tolist() == [True, True, True]
    with pytest.raises(InputError):
        bucket_open(flags, 0)


def test_find_windows_bisects_an_analytic_crossing():
    """A step predicate at a known epoch: the edge lands within the 1 s tolerance of it."""
    start, stop = parse_utc("2030-01-01"), parse_utc("2030-01-03")
    t_rise = float(tdb_seconds(start)) + 12_345.678
    t_set = float(tdb_seconds(start)) + 100_000.25

    def predicate(t):
        s = tdb_seconds(t)
        return (s > t_rise) & (s < t_set)

    predicate.step_days = 1.0 / 24.0
    w = find_windows(predicate, start, stop)
    assert len(w) == 1
    assert w.start[0] == pytest.approx(t_rise, abs=1 * SECOND)
    assert w.stop[0] == pytest.approx(t_set, abs=1 * SECOND)
    assert w.durations[0] == pytest.approx(t_set - t_rise, abs=2 * SECOND)
    assert float(tdb_seconds(w.start_times()[0])) == pytest.approx(w.start[0], abs=1e-3)


def test_find_windows_open_at_both_ends_and_refusals():
    def always(t):
        return np.ones(np.shape(tdb_seconds(t)), dtype=bool)

    always.step_days = 0.5
    w = find_windows(always, "2030-01-01", "2030-01-02")
    assert len(w) == 1
    assert w.durations[0] == pytest.approx(86_400.0, abs=1e-3)
    with pytest.raises(InputError, match="step_days"):
        find_windows(lambda t: t, "2030-01-01", "2030-01-02")
    with pytest.raises(InputError, match="not after"):
        find_windows(always, "2030-01-02", "2030-01-01")
