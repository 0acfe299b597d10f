"""CP-SAT and greedy schedulers against the independent checker and brute-force optima.

The brute force enumerates every start bucket (or absence) of every run, keeps the schedules
the checker of :mod:`moonbase.science.checker` accepts, and takes the best weighted value
(sum of value * priority). It uses neither the model builder nor its allowed-start sets.
"""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import schedule_cpsat
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import build_instance
from moonbase.science.priced import priced_starts
from moonbase.science.rolling import improve_by_windows
from moonbase.science.solution import SchedulerConfig, schedule_from_starts
from moonbase.science.synthetic import synthetic_problem

CONFIG = SchedulerConfig(time_limit_s=20.0, workers=1)


def _random_problem(seed, make_problem, make_request):
    rng = np.random.default_rng(seed)
    n = 5
    windows = {"w": (rng.random(n) < 0.7).tolist()}
    requests = [
        make_request(
            f"q{i}",
            partner="ABC"[i % 3],
            duration_h=24.0 * int(rng.integers(1, 3)),
            power_w=float(rng.choice([300, 500, 700])),
            crew_time_h=float(rng.choice([0, 4, 8])),
            windows=("w",) if rng.random() < 0.5 else (),
            priority=int(rng.integers(1, 6)),
            value=float(rng.choice([0.5, 1.0, 2.0])),
            repeats=2 if i == 0 else 1,
            repeat_gap_h=24.0 if i == 0 else 0.0,
            depends_on=("q0",) if i == 2 and rng.random() < 0.5 else (),
        )
        for i in range(3)
    ]
    # 1000 W except 600 W in bucket 2; 8 crew hours per bucket
    return make_problem(
        requests,
        n,
        power_w=[1000.0, 1000.0, 600.0, 1000.0, 1000.0],
        crew_time_h=8.0,
        windows=windows,
    )


@pytest.mark.parametrize("seed", range(6))
def test_cpsat_matches_brute_force_optimum(seed, make_problem, make_request, brute_force):
    problem = _random_problem(seed, make_problem, make_request)
    instance = build_instance(problem)
    best, checked = brute_force(problem)
    assert checked == 6**4  # 4 runs, each absent or at one of 5 starts
    cpsat = schedule_cpsat(instance, CONFIG)
    greedy = schedule_greedy(instance)
    assert cpsat.status == "OPTIMAL"
    assert check_schedule(problem, cpsat) == []
    assert check_schedule(problem, greedy) == []
    assert cpsat.value == pytest.approx(best, abs=1e-9)
    assert cpsat.bound == pytest.approx(best, abs=1e-9)
    assert greedy.value <= best + 1e-9


def test_resource_capacity_alone(make_problem, make_request):
    # Two 600 W runs, 1 bucket, 1000 W: only the more valuable one fits.
    problem = make_problem(
        [
            make_request("a", power_w=600, value=1.0),
            make_request("b", partner="B", power_w=600, value=2.0),
        ],
        1,
    )
    for schedule in (
        schedule_cpsat(build_instance(problem), CONFIG),
        schedule_greedy(build_instance(problem)),
    ):
        assert [a.request_id for a in schedule.assignments] == ["b"]
        assert check_schedule(problem, schedule) == []


def test_time_varying_capacity_alone(make_problem, make_request):
    # 800 W runs of 2 days; power is 0 in bucket 2, so only [0,2) and [3,5) work.
    problem = make_problem(
        [make_request(f"r{i}", duration_h=48.0, power_w=800) for i in range(3)],
        5,
        power_w=[1000.0, 1000.0, 0.0, 1000.0, 1000.0],
    )
    schedule = schedule_cpsat(build_instance(problem), CONFIG)
    assert sorted(a.start_bucket for a in schedule.assignments) == [0, 3]
    assert check_schedule(problem, schedule) == []


def test_window_alone(make_problem, make_request):
    windows = {"earth_in_view": [False, False, False, True, True, False]}
    problem = make_problem(
        [make_request("a", duration_h=48.0, windows=("earth_in_view",))], 6, windows=windows
    )
    for schedule in (
        schedule_cpsat(build_instance(problem), CONFIG),
        schedule_greedy(build_instance(problem)),
    ):
        assert [(a.request_id, a.start_bucket) for a in schedule.assignments] == [("a", 3)]


def test_precedence_and_repeats_alone(make_problem, make_request):
    # b needs a's first run to end; a's window opens only in bucket 3; a repeats after 24 h.
    windows = {"late": [False, False, False, True, True, True, True, True]}
    problem = make_problem(
        [
            make_request("b", partner="B", depends_on=("a",), value=5.0),
            make_request("a", windows=("late",), repeats=2, repeat_gap_h=24.0),
        ],
        8,
        windows=windows,
    )
    for schedule in (
        schedule_cpsat(build_instance(problem), CONFIG),
        schedule_greedy(build_instance(problem)),
    ):
        starts = schedule.starts()
        assert starts[("a", 0)] == 3
        assert starts[("b", 0)] >= 4
        assert starts[("a", 1)] >= 5
        assert check_schedule(problem, schedule) == []


def test_checker_catches_each_violation(make_problem, make_request, schedule_of):
    # A checker that cannot fail would be worthless: break each rule once.
    windows = {"w": [True, True, False, True]}
    problem = make_problem(
        [
            make_request("a", power_w=700, windows=("w",)),
            make_request("b", partner="B", power_w=700, depends_on=("a",)),
            make_request("c", partner="C", repeats=2, repeat_gap_h=48.0),
        ],
        4,
        windows=windows,
    )
    good = {("a", 0): 0, ("b", 0): 1, ("c", 0): 0, ("c", 1): 3}
    assert check_schedule(problem, schedule_of(problem, good)) == []
    cases = {
        "window": ({**good, ("a", 0): 2, ("b", 0): 3}, "window 'w' closed"),
        "power": ({**good, ("b", 0): 0, ("a", 0): 0}, "power_w: bucket 0"),
        "dependency": ({**good, ("a", 0): 1, ("b", 0): 0}, "before a ends"),
        "repeat gap": ({**good, ("c", 1): 2}, "needs 48 h"),
        "missing predecessor": ({("b", 0): 1}, "dependency a is not"),
        "outside campaign": ({("c", 0): 3, ("c", 1): 4}, "leave the campaign"),
    }
    for name, (starts, expected) in cases.items():
        problems = check_schedule(problem, schedule_of(problem, starts))
        assert any(expected in p for p in problems), (name, problems)


def test_synthetic_year_passes_checker_and_cpsat_beats_greedy():
    # 150 requests, 5 partners, half a year of days: both schedules valid; CP-SAT (warm-started
    # from greedy) is never worse and stays under its own bound.
    problem = synthetic_problem(150, 5, 180, seed=3)
    instance = build_instance(problem)
    greedy = schedule_greedy(instance)
    cpsat = schedule_cpsat(instance, SchedulerConfig(time_limit_s=5.0, workers=1))
    assert check_schedule(problem, greedy) == []
    assert check_schedule(problem, cpsat) == []
    assert cpsat.value >= greedy.value - 1e-9
    assert cpsat.value <= cpsat.bound + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_bounds_are_above_the_optimum(seed, make_problem, make_request, brute_force):
    # (windows, a bucket short of power, repeats with a gap and a dependency: the LP's rows)
    from moonbase.science.bounds import energy_knapsack_bound, lp_bound

    problem = _random_problem(seed, make_problem, make_request)
    best, _ = brute_force(problem)
    instance = build_instance(problem)
    assert energy_knapsack_bound(instance) >= best - 1e-9
    assert best - 1e-6 <= lp_bound(instance) <= energy_knapsack_bound(instance) + 1e-6


def test_bounds_by_hand(make_problem, make_request):
    # 4 runs of 600 W x 1 day, values 3, 2, 1, 0.5 (priority 1); 1000 W x 2 days = 2000 W-days:
    # the knapsack takes the first three whole (1800) and 200/600 of the last:
    # 3 + 2 + 1 + 0.5 / 3 = 6.1667. (The true optimum is 3 + 2 = 5: one run per day.)
    # Time does not matter here, so the LP relaxation equals the knapsack: day 0 holds the run
    # worth 3 and 2/3 of the run worth 1, day 1 the rest.
    from moonbase.science.bounds import energy_knapsack_bound, lp_bound

    values = (3.0, 2.0, 1.0, 0.5)
    problem = make_problem(
        [make_request(f"r{i}", power_w=600, value=v, priority=1) for i, v in enumerate(values)],
        2,
    )
    instance = build_instance(problem)
    assert energy_knapsack_bound(instance) == pytest.approx(6 + 0.5 / 3)
    assert lp_bound(instance) == pytest.approx(6 + 0.5 / 3, abs=1e-6)


def test_no_solution_in_time_returns_the_greedy_warm_start():
    # A time limit far too short for CP-SAT to report anything: the user still gets a valid
    # schedule (the greedy warm start), labelled as such.
    problem = synthetic_problem(150, 5, 180, seed=4)
    instance = build_instance(problem)
    schedule = schedule_cpsat(instance, SchedulerConfig(time_limit_s=1e-4, workers=1))
    if schedule.status in ("OPTIMAL", "FEASIBLE"):
        pytest.skip("CP-SAT was fast enough to find a solution in 0.1 ms")
    assert schedule.solver.startswith("greedy")
    # the better of the two greedy rules (priority order, value density)
    assert schedule.value >= schedule_greedy(instance).value
    assert check_schedule(problem, schedule) == []


def test_rolling_horizon_schedule_is_valid():
    # Windows of 30 days over half a year; the independent checker must accept the result and
    # nothing may start before its fixed predecessors end (the checker verifies that too).
    from moonbase.science.rolling import schedule_rolling

    problem = synthetic_problem(120, 5, 180, seed=5)
    instance = build_instance(problem)
    schedule = schedule_rolling(
        instance, SchedulerConfig(time_limit_s=6.0, workers=1), window_days=30
    )
    assert check_schedule(problem, schedule) == []
    assert len(schedule.assignments) > 0
    assert schedule.value >= 0.9 * schedule_greedy(instance).value


@pytest.mark.parametrize("seed", range(4))
def test_priced_greedy_is_feasible_and_below_brute_force(
    seed, make_problem, make_request, brute_force
):
    problem = _random_problem(seed, make_problem, make_request)
    instance = build_instance(problem)
    best, _ = brute_force(problem)
    starts = priced_starts(instance)
    priced = schedule_from_starts(instance, starts, solver="priced", status="", wall_s=0.0)
    assert check_schedule(problem, priced) == []
    assert priced.value <= best + 1e-9
    # the window search on top of it reaches the optimum: one window covers these 5 days
    improved = improve_by_windows(
        instance, starts, SchedulerConfig(time_limit_s=5.0, workers=1), window_days=5
    )
    result = schedule_from_starts(instance, improved, solver="windows", status="", wall_s=0.0)
    assert check_schedule(problem, result) == []
    assert result.value == pytest.approx(best, abs=1e-9)
