"""The onboard data buffer: levels against a plain loop, schedules against brute force and the
independent checker, bounds above the optimum, and a downlink failure while data wait.

The reference for the level arithmetic is the recursion itself, bucket by bucket
(``level = max(0, level + made - downlink)``); the brute force (``brute_force`` in conftest)
enumerates every schedule and keeps those the checker accepts, which recomputes the buffer's
level in plain Python from the raw inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.science import buffer
from moonbase.science.bounds import energy_knapsack_bound, lp_bound
from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import replan, schedule_cpsat
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import build_instance
from moonbase.science.priced import priced_starts
from moonbase.science.rolling import improve_by_windows, replan_by_windows, schedule_rolling
from moonbase.science.solution import SchedulerConfig, schedule_from_starts
from moonbase.science.synthetic import synthetic_problem

CONFIG = SchedulerConfig(time_limit_s=20.0, workers=1)
WINDOW_CONFIG = SchedulerConfig(workers=1, time_limit_s=60, work_limit=5.0)


def _loop_levels(residual, before=0):
    level, out = before, []
    for r in residual:
        level = max(0, level - int(r))
        out.append(level)
    return np.array(out, dtype=np.int64)


def _fits_by_loop(residual, size, rate, duration, start):
    if start + duration > len(residual):
        return False
    changed = np.array(residual, dtype=np.int64)
    changed[start : start + duration] -= rate
    return bool(_loop_levels(changed).max() <= size)


def test_levels_ceiling_and_fits_against_the_recursion():
    rng = np.random.default_rng(7)
    tried = 0
    for _ in range(400):
        n, size = int(rng.integers(1, 14)), int(rng.integers(0, 12))
        residual = rng.integers(-5, 9, n)
        before = int(rng.integers(0, 6))
        assert np.array_equal(buffer.levels(residual, before), _loop_levels(residual, before))
        if _loop_levels(residual).max() > size:
            continue
        tried += 1
        top = buffer.ceiling(residual, size)
        for t in range(n):  # the ceiling is the highest level at t that keeps later ones in
            later = residual[t + 1 :]
            assert _loop_levels(later, int(top[t])).max(initial=0) <= size
            if top[t] < size:
                assert _loop_levels(later, int(top[t]) + 1).max() > size
        rate, duration = int(rng.integers(0, 9)), int(rng.integers(1, 4))
        mask = buffer.fitting_starts(residual, size, rate, duration)
        for s in range(n):
            expected = _fits_by_loop(residual, size, rate, duration, s)
            assert mask[s] == expected
            assert buffer.fits_at(residual, size, rate, duration, s) == expected
        assert np.array_equal(buffer.overflow(residual, size), np.zeros(n))
    assert tried > 100
    # an overflow: 10 more than the buffer holds in bucket 1, then the level stays at the top
    assert buffer.overflow(np.array([-5, -15, 3]), 10).tolist() == [0, 10, 0]


def _with(problem, **resources):
    return problem.model_copy(update={"resources": problem.resources.model_copy(update=resources)})


def test_a_run_that_makes_more_than_a_day_can_send_waits_in_the_buffer(make_problem, make_request):
    # 90 Gbit in one day; the downlink sends 50 Gbit on day 0, none on days 1-2, 70 on day 3.
    downlink = [50_000.0, 0.0, 0.0, 70_000.0]
    problem = make_problem([make_request("big", data_volume_gbit=90.0)], 4)
    no_buffer = _with(problem, downlink_mbit=downlink)
    (rejection,) = build_instance(no_buffer).rejections
    assert rejection.field == "downlink_mbit" and "70000" in rejection.reason
    # With 40 Gbit of buffer it fits on day 0 (50 sent, 40 wait until day 3) or on day 3 (70
    # sent, 20 wait); on day 1 or 2 all 90 would wait.
    small = _with(problem, downlink_mbit=downlink, data_buffer_gbit=40.0)
    instance = build_instance(small)
    assert instance.start_ok[0].tolist() == [True, False, False, True]
    enough = _with(problem, downlink_mbit=downlink, data_buffer_gbit=90.0)
    assert build_instance(enough).start_ok[0].tolist() == [True, True, True, True]
    for schedule in (schedule_cpsat(instance, CONFIG), schedule_greedy(instance)):
        ((run, start),) = [(a.request_id, a.start_bucket) for a in schedule.assignments]
        assert run == "big" and start in (0, 3)
        assert check_schedule(small, schedule) == []


def test_the_checker_sees_an_overflowing_buffer(make_problem, make_request, schedule_of):
    problem = _with(
        make_problem([make_request("a", data_volume_gbit=70.0)], 3),
        downlink_mbit=[50_000.0] * 3,
        data_buffer_gbit=10.0,
    )
    schedule = schedule_of(problem, {("a", 0): 1})
    assert check_schedule(problem, schedule) == [
        "downlink_mbit: bucket 1 leaves 20000 Mbit waiting, more than the 10000 Mbit data buffer"
    ]


def _random_buffered(seed, make_problem, make_request):
    rng = np.random.default_rng(seed)
    requests = [
        make_request(
            f"q{i}",
            partner="ABC"[i % 3],
            duration_h=24.0 * int(rng.integers(1, 3)),
            data_volume_gbit=float(rng.choice([20, 40, 60, 90])),
            power_w=float(rng.choice([0, 300, 600])),
            priority=int(rng.integers(1, 6)),
            value=float(rng.choice([0.5, 1.0, 2.0])),
            repeats=2 if i == 0 else 1,
            repeat_gap_h=24.0 if i == 0 else 0.0,
        )
        for i in range(3)
    ]
    return _with(
        make_problem(requests, 5),
        downlink_mbit=[50_000.0, 0.0, 0.0, 70_000.0, 20_000.0],
        data_buffer_gbit=float(rng.choice([30.0, 60.0])),
    )


@pytest.mark.parametrize("seed", range(5))
def test_schedules_with_a_buffer_against_brute_force(seed, make_problem, make_request, brute_force):
    problem = _random_buffered(seed, make_problem, make_request)
    instance = build_instance(problem)
    best, checked = brute_force(problem)
    assert checked == 6**4
    cpsat = schedule_cpsat(instance, CONFIG)
    assert cpsat.status == "OPTIMAL"
    assert cpsat.value == pytest.approx(best) and cpsat.bound == pytest.approx(best)
    priced = priced_starts(instance)
    windows = improve_by_windows(instance, priced, WINDOW_CONFIG, window_days=2.0, sweeps=3)
    others = [
        schedule_greedy(instance),
        schedule_from_starts(instance, priced, solver="priced", status="", wall_s=0.0),
        schedule_from_starts(instance, windows, solver="windows", status="", wall_s=0.0),
    ]
    for schedule in [cpsat, *others]:
        assert check_schedule(problem, schedule) == []
        assert schedule.value <= best + 1e-9
    lp = lp_bound(instance)
    assert best - 1e-6 <= lp <= energy_knapsack_bound(instance) + 1e-6


def test_a_buffer_lets_more_science_fit_and_every_solver_keeps_it():
    # 120 requests over 40 days of the synthetic station (20 Gbit a day while Earth is hidden,
    # 150 while in view): the schedules are checked independently, with and without buffer.
    values = {}
    for size in (0.0, 500.0):
        problem = synthetic_problem(120, 4, 40, seed=3)
        problem = _with(problem, data_buffer_gbit=size)
        instance = build_instance(problem)
        rolling = schedule_rolling(instance, WINDOW_CONFIG, window_days=10.0, sweeps=2)
        greedy = schedule_greedy(instance)
        for schedule in (rolling, greedy):
            assert check_schedule(problem, schedule) == []
        assert rolling.value <= lp_bound(instance) + 1e-6
        values[size] = rolling.value
    assert values[500.0] > values[0.0]


@pytest.mark.parametrize("by_windows", [False, True])
def test_a_downlink_failure_while_data_wait(by_windows, make_problem, make_request, schedule_of):
    # Buffer 60 Gbit. a (2 days, 80 Gbit a day) started on day 0; c (40 Gbit) is planned on
    # day 2, b (40 Gbit) on day 3. With 50 Gbit a day the buffer holds 30, 60, 50, 40, 0, 0.
    # From day 1 the downlink sends only 20 Gbit: a goes on (though it would fit nowhere now)
    # and the buffer overflows by 30 on day 1 (an overrun), then drains to 40. b still fits on
    # day 3 (60 then); c fits no longer on day 2 (80) nor on day 4 (80), only on day 5 (60).
    requests = [
        make_request("a", duration_h=48.0, data_volume_gbit=160.0),
        make_request("b", partner="B", data_volume_gbit=40.0),
        make_request("c", partner="C", data_volume_gbit=40.0),
    ]
    problem = _with(make_problem(requests, 6), downlink_mbit=[50_000.0] * 6, data_buffer_gbit=60.0)
    first = schedule_of(problem, {("a", 0): 0, ("c", 0): 2, ("b", 0): 3})
    assert check_schedule(problem, first) == []
    failed = _with(problem, downlink_mbit=[50_000.0] + [20_000.0] * 5)
    instance = build_instance(failed)
    if by_windows:
        new = replan_by_windows(instance, first, 1, WINDOW_CONFIG, window_days=2.0, sweeps=3)
        assert new.fewest_moved == 1
    else:
        new = replan(instance, first, 1, CONFIG)
        assert new.status == "OPTIMAL"
    assert {a.request_id: a.start_bucket for a in new.assignments} == {"a": 0, "b": 3, "c": 5}
    assert new.moved == 1
    (overrun,) = new.overruns
    assert "bucket 1" in overrun and "30000" in overrun and "a#0" in overrun
    assert check_schedule(failed, new) == [
        "downlink_mbit: bucket 1 leaves 90000 Mbit waiting, more than the 60000 Mbit data buffer"
    ]


def test_the_report_shows_the_data_waiting(make_problem, make_request):
    from moonbase.science.report import downlink_figure, science_section

    # As above: 90 Gbit on day 0 with 50, 0, 0, 70 Gbit of downlink; 40 wait until day 3.
    problem = _with(
        make_problem([make_request("big", data_volume_gbit=90.0)], 4),
        downlink_mbit=[50_000.0, 0.0, 0.0, 70_000.0],
        data_buffer_gbit=40.0,
    )
    instance = build_instance(problem)
    schedule = schedule_greedy(instance)
    traces = {trace.name: list(trace.y) for trace in downlink_figure(instance, schedule).data}
    assert traces == {
        "downlink": [50.0, 0.0, 0.0, 70.0],
        "data made": [90.0, 0.0, 0.0, 0.0],
        "waiting in the buffer": [40.0, 40.0, 40.0, 0.0],
    }
    section = science_section(instance, {"greedy": schedule})
    assert "40 Gbit of onboard storage" in section.paragraphs[0]
    assert "buffer" in section.figures[-1].layout.title.text  # after shares and Gantt
