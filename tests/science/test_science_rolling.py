"""The window-by-window search: runs move across fixed neighbours, and fairness as a penalty.

The fairness penalty it optimises (:func:`moonbase.science.solution.fairness_penalty`) is
checked against the one CP-SAT reports for the single model; shares against entitlements by
hand (the ISS US-segment split on equal demand).
"""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import CpSatScheduler, schedule_cpsat
from moonbase.science.greedy import greedy_starts
from moonbase.science.instance import build_instance
from moonbase.science.rolling import improve_by_windows, schedule_rolling
from moonbase.science.solution import (
    SchedulerConfig,
    delivered_shares,
    fairness_penalty,
    job_starts,
    schedule_from_starts,
)
from moonbase.science.synthetic import synthetic_problem

# fairness as in test_science_fairness: 10-day periods, one run's deviation costs 5 points.
# One worker and a work limit per window, with the wall-clock limits far off: the searches
# below do the same on any machine under any load.
PENALTY = SchedulerConfig(
    fairness="penalty",
    fairness_weight=5.0,
    fairness_period_days=10.0,
    workers=1,
    work_limit=1.0,
    time_limit_s=600.0,
)


def _schedule(instance, starts):
    return schedule_from_starts(instance, starts, solver="test", status="", wall_s=0.0)


def test_a_run_moves_within_its_window_ahead_of_a_fixed_successor(make_problem, make_request):
    # 30 days of 1000 W. "rep" runs twice (1 day each, at least 2 days apart) and its second run
    # sits on day 25, outside the first 10-day window. Its first run sits on day 5, the only day
    # "star" (worth 10) can run and needs all the power. The search must move rep#0 elsewhere in
    # days 0-9 (not after day 22) and keep it, since rep#1 depends on it: then star fits.
    problem = make_problem(
        [
            make_request("rep", power_w=1000, repeats=2, repeat_gap_h=48.0),
            make_request("star", power_w=1000, value=10.0, windows=("day5",)),
        ],
        30,
        windows={"day5": [d == 5 for d in range(30)]},
    )
    instance = build_instance(problem)
    start = np.array([5, 25, -1])  # rep#0, rep#1, star
    assert check_schedule(problem, _schedule(instance, start)) == []
    config = SchedulerConfig(time_limit_s=60.0, work_limit=1.0, workers=1)
    improved = improve_by_windows(
        instance, start, config, window_days=10, time_limit_s=600, sweeps=1
    )
    assert check_schedule(problem, _schedule(instance, improved)) == []
    assert improved[2] == 5  # star runs
    assert 0 <= improved[0] < 10 and improved[0] != 5 and improved[1] == 25


def test_a_left_out_run_joins_with_its_left_out_predecessor(make_problem, make_request):
    # Nothing is scheduled yet, the window covers the 5 days, and one left-out run may join
    # it. "post" (worth 10) depends on "pre" (worth 0.1, so it ranks last): "post" must bring
    # "pre" along, and both run after one sweep. (Alone "post" could not join, so "pre" would,
    # and "post" would have to wait for another sweep.)
    problem = make_problem(
        [
            make_request("pre", power_w=100, value=0.1, priority=1),
            make_request("post", power_w=100, value=10.0, depends_on=("pre",)),
        ],
        5,
    )
    instance = build_instance(problem)
    config = SchedulerConfig(time_limit_s=60.0, work_limit=1.0, workers=1)
    prices = np.ones(instance.capacity.shape)  # the same cost for both: ranked by value
    improved = improve_by_windows(
        instance, np.array([-1, -1]), config, window_days=10, extra_runs=1, sweeps=1, prices=prices
    )
    assert check_schedule(problem, _schedule(instance, improved)) == []
    assert np.all(improved >= 0)


def test_fairness_penalty_matches_the_cpsat_objective(make_problem, make_request):
    # CP-SAT's objective with fairness="penalty" is value - penalty; the numpy penalty of the
    # same schedule must agree (up to CP-SAT's rounding of entitlements to 1e-4).
    problem = synthetic_problem(40, 3, 60, seed=3)
    instance = build_instance(problem)
    update = {"fairness_weight": 2.0, "fairness_period_days": 20.0, "work_limit": 2.0}
    config = PENALTY.model_copy(update=update)
    schedule = schedule_cpsat(instance, config)
    starts = job_starts(instance, schedule)
    penalty = fairness_penalty(instance, starts, config)
    assert penalty > 0  # the schedule is not exactly fair, so the check has teeth
    assert schedule.objective == pytest.approx(schedule.value - penalty, abs=0.02)


def test_window_search_with_penalty_keeps_shares_at_entitlements(equal_demand):
    # (equal_demand: conftest.) schedule_rolling with the penalty, 10-day windows over two
    # 10-day periods: the station
    # stays full and every partner is within the 1-point tolerance of the single model
    # (test_science_fairness) in both periods.
    instance = build_instance(equal_demand)
    schedule = schedule_rolling(instance, PENALTY, window_days=10, sweeps=1)
    assert check_schedule(equal_demand, schedule) == []
    assert len(schedule.assignments) == 200
    shares = delivered_shares(instance, schedule, period_days=10.0)
    for i, partner in enumerate(instance.partner_ids):
        deviation = np.abs(shares[partner] - instance.entitlement[i])
        assert np.all(deviation <= 0.01 + 1e-12), (partner, shares[partner])


def test_window_search_with_penalty_repairs_an_unfair_schedule(equal_demand):
    # From the plain greedy (25 % each: ~50 points off for NASA) the penalty must at least halve
    # the deviation from the entitlements, losing at most a run or two (a run is worth less
    # than the penalty of one run's deviation here, so dropping one can pay).
    instance = build_instance(equal_demand)
    start = greedy_starts(instance)
    improved = improve_by_windows(
        instance, start, PENALTY, window_days=10, time_limit_s=600, sweeps=2
    )
    schedule = _schedule(instance, improved)
    assert check_schedule(equal_demand, schedule) == []
    assert len(schedule.assignments) >= 198
    assert fairness_penalty(instance, improved, PENALTY) < 0.5 * fairness_penalty(
        instance, start, PENALTY
    )


def test_cpsat_counts_the_usage_outside_its_window(make_problem, make_request):
    # A and B are entitled to half each; room for two one-day runs, two of each on offer, all
    # of equal value. Alone, one of each is fair; with two runs of A already delivered in the
    # period outside the model, only B, B is.
    requests = [make_request(f"{p}{k}", p, crew_time_h=4) for p in "AB" for k in range(2)]
    from moonbase.science.models import Partner

    partners = (Partner(id="A", entitlement=0.5), Partner(id="B", entitlement=0.5))
    problem = make_problem(requests, 1, crew_time_h=8.0, partners=partners)
    instance = build_instance(problem)
    assert set(instance.utilisation) == {100}
    config = SchedulerConfig(fairness="penalty", workers=1, fairness_period_days=1.0)
    alone = CpSatScheduler(instance, config).solve()
    assert sorted(a.partner for a in alone.assignments) == ["A", "B"]
    offset = np.array([[200], [0]])
    beside = CpSatScheduler(instance, config, usage_offset=offset).solve()
    assert sorted(a.partner for a in beside.assignments) == ["B", "B"]
    assert beside.objective == pytest.approx(beside.value)  # no penalty left


def test_a_short_budget_is_shared_so_that_the_sweep_reaches_the_campaign_end(monkeypatch):
    # 25 windows of 30 days (half a window apart) over a year, a 30 s cap per window and 100 s
    # in all: with the cap each, the sweep would end after about 3 windows' worth of full
    # solves. The budget is shared out instead: window k gets at most (what is left) / (25 - k).
    # CP-SAT is replaced by a stand-in that returns its hint at once, so elapsed time stays
    # near 0 and the limits are those of the rule.
    import moonbase.science.rolling as rolling

    seen: list[tuple[int, float]] = []

    class Instant:
        def __init__(self, sub, config, *, hint_starts, **_):
            first = np.flatnonzero(sub.start_ok.any(axis=0))
            seen.append((int(first[0]) if first.size else -1, config.time_limit_s))
            self.schedule = _schedule(sub, hint_starts)

        def solve(self):
            return self.schedule

    monkeypatch.setattr(rolling, "CpSatScheduler", Instant)
    instance = build_instance(synthetic_problem(200, 3, 365, seed=0))
    starts = greedy_starts(instance)
    config = SchedulerConfig(time_limit_s=30.0)
    after = improve_by_windows(instance, starts, config, time_limit_s=100.0, sweeps=1)
    np.testing.assert_array_equal(after, starts)
    windows = np.array(seen)
    assert len(windows) == 25  # starts 0, 15, ..., 360
    assert windows[-1, 0] >= 360 - 1
    shares = 100.0 / (25 - np.arange(25))
    assert np.all(windows[:, 1] <= np.minimum(30.0, shares) + 1e-9)
    assert np.all(windows[:, 1] >= 0.95 * np.minimum(30.0, shares))


def test_a_sweep_ends_by_adding_runs_that_fit(make_problem, make_request):
    # With no left-out run offered to the windows (extra_runs=0), only the fill at the end of
    # the sweep can add b: it fits on any day, and a's day 0 has room for it too.
    problem = make_problem([make_request("a", power_w=300), make_request("b", power_w=300)], 4)
    instance = build_instance(problem)
    config = SchedulerConfig(workers=1, work_limit=1.0, time_limit_s=60.0)
    starts = improve_by_windows(
        instance, np.array([0, -1]), config, window_days=2.0, extra_runs=0, sweeps=1
    )
    assert starts.tolist() == [0, 0]  # the price-guided greedy's earliest fit
    assert check_schedule(problem, _schedule(instance, starts)) == []
