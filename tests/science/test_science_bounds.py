"""The LP bound against cases worked by hand, the knapsack bound and feasible schedules.

(Against brute-force optima: ``test_bounds_are_above_the_optimum`` in test_science_scheduler.)
"""

from __future__ import annotations

import pytest

from moonbase.science.bounds import energy_knapsack_bound, lp_bound
from moonbase.science.instance import build_instance
from moonbase.science.priced import better_greedy_starts
from moonbase.science.synthetic import synthetic_problem


def test_lp_bound_keeps_the_order_of_repeats(make_problem, make_request):
    # Two 2-day runs of one request, the second after the first, in 3 days: only one fits.
    # Power is ample, so the knapsack (and an LP without the precedence) count both.
    problem = make_problem(
        [make_request("rep", power_w=100, duration_h=48.0, repeats=2, priority=1)], 3
    )
    instance = build_instance(problem)
    assert energy_knapsack_bound(instance) == pytest.approx(2.0)
    assert lp_bound(instance) == pytest.approx(1.0, abs=1e-6)


def test_lp_bound_sees_windows_and_each_bucket(make_problem, make_request):
    # Two 1000 W one-day runs that may only start on day 0, 1000 W a day for two days: the
    # knapsack sees 2000 W-days and takes both; the LP sees that day 0 holds one.
    problem = make_problem(
        [make_request(rid, power_w=1000, windows=("day0",), priority=1) for rid in ("a", "b")],
        2,
        windows={"day0": [True, False]},
    )
    instance = build_instance(problem)
    assert energy_knapsack_bound(instance) == pytest.approx(2.0)
    assert lp_bound(instance) == pytest.approx(1.0, abs=1e-6)


def test_lp_bound_on_a_synthetic_campaign():
    # 60 days, 150 requests: the LP lies between a feasible schedule and the knapsack, and well
    # below the knapsack (measured: 473.3 against 536.8), as repeats, windows and daily
    # downlink bind on a short campaign.
    instance = build_instance(synthetic_problem(150, 5, 60, seed=0))
    starts = better_greedy_starts(instance)
    feasible = instance.weight[starts >= 0].sum() / 100.0
    bound = lp_bound(instance)
    assert feasible <= bound <= 0.9 * energy_knapsack_bound(instance)


def test_an_unfinished_lp_bounds_nothing():
    instance = build_instance(synthetic_problem(150, 5, 60, seed=0))
    with pytest.raises(RuntimeError, match="not solved to optimality"):
        lp_bound(instance, time_limit_s=1e-4)


def test_nothing_to_schedule_bounds_to_zero(make_problem, make_request):
    # The only request names an unknown partner, so it is rejected and no run is left.
    problem = make_problem([make_request("x", partner="ghost")], 3)
    instance = build_instance(problem)
    assert instance.n_jobs == 0
    assert lp_bound(instance) == energy_knapsack_bound(instance) == 0.0


def test_an_lp_too_large_to_build_is_refused_before_building(make_problem, make_request):
    # Two one-day 1000 W runs, each with one allowed start: at least 2 capacity entries.
    problem = make_problem(
        [make_request(rid, power_w=1000, windows=("day0",), priority=1) for rid in ("a", "b")],
        2,
        windows={"day0": [True, False]},
    )
    instance = build_instance(problem)
    with pytest.raises(RuntimeError, match=r"too large to build.*energy knapsack"):
        lp_bound(instance, max_nonzeros=1)
    assert lp_bound(instance, max_nonzeros=100) == pytest.approx(1.0, abs=1e-6)
