"""Price-guided greedy and the window-by-window CP-SAT search, against a hand-worked optimum,
the knapsack bound and the independent checker (brute force: ``test_science_scheduler``)."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.science.bounds import energy_knapsack_bound, knapsack_per_resource
from moonbase.science.checker import check_schedule
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import build_instance
from moonbase.science.priced import knapsack_prices, priced_starts
from moonbase.science.rolling import improve_by_windows, schedule_rolling
from moonbase.science.solution import SchedulerConfig, schedule_from_starts
from moonbase.science.synthetic import synthetic_problem


def _value(instance, starts) -> float:
    return float(instance.weight[starts >= 0].sum()) / 100.0


def _schedule(instance, starts):
    return schedule_from_starts(instance, starts, solver="test", status="", wall_s=0.0)


def test_value_density_beats_value_order_by_hand(make_problem, make_request):
    # One day of 1000 W. A is worth 5 and needs all of it; B, C, D are worth 2 each and need
    # 300 W each. Taking runs by value gets A alone (5); by value per watt, B + C + D (6),
    # which is the optimum (A with any other run exceeds 1000 W).
    requests = [make_request("A", power_w=1000, value=5.0, priority=1)] + [
        make_request(rid, power_w=300, value=2.0, priority=1) for rid in "BCD"
    ]
    problem = make_problem(requests, 1)
    instance = build_instance(problem)
    assert schedule_greedy(instance).value == pytest.approx(5.0)
    starts = priced_starts(instance)
    assert _value(instance, starts) == pytest.approx(6.0)
    assert check_schedule(problem, _schedule(instance, starts)) == []
    # power is the scarce resource; its critical density is that of A, 5 / 1000 per W-day
    bounds, densities = knapsack_per_resource(instance)
    power = instance.resource_names.index("power_w")
    assert densities[power] == pytest.approx(5.0 / 1000.0)
    assert bounds[power] == pytest.approx(6.0 + 100.0 * 5.0 / 1000.0)  # B, C, D + 100 W of A
    prices = knapsack_prices(instance)
    assert np.count_nonzero(prices.any(axis=1)) == 1 and prices[power].all()


def test_window_search_keeps_precedences_across_window_edges():
    # Half a year in 20-day windows (so many runs and their repeats straddle window edges):
    # the checker (precedences, gaps, capacities, windows) accepts every stage, value never
    # drops, and everything stays under the knapsack bound.
    problem = synthetic_problem(150, 5, 180, seed=7, dependency_fraction=0.3)
    instance = build_instance(problem)
    config = SchedulerConfig(time_limit_s=1.0, workers=1)
    start = priced_starts(instance)
    improved = improve_by_windows(instance, start, config, window_days=20, time_limit_s=20.0)
    for starts in (start, improved):
        assert check_schedule(problem, _schedule(instance, starts)) == []
    assert _value(instance, improved) >= _value(instance, start)
    assert _value(instance, improved) <= energy_knapsack_bound(instance) + 1e-9
    rolling = schedule_rolling(instance, SchedulerConfig(time_limit_s=10.0, workers=1))
    assert check_schedule(problem, rolling) == []
    assert rolling.value >= schedule_greedy(instance).value
