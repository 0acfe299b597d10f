"""Re-planning keeps executed work and moves as few planned runs as possible.

The minimal number of moved runs is checked against a brute force over every schedule the
independent checker accepts that keeps the executed runs; with a failure while a run is under
way, over every schedule whose only violation is that run's own overrun.
"""

from __future__ import annotations

import itertools

from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import kept_and_filled_starts, kept_starts, replan, schedule_cpsat
from moonbase.science.instance import build_instance
from moonbase.science.rolling import replan_by_windows
from moonbase.science.solution import (
    Assignment,
    Schedule,
    SchedulerConfig,
    band_excess,
    job_starts,
)

CONFIG = SchedulerConfig(workers=1, time_limit_s=10)
#: The window search on the 6-day problems below: 2-day windows (so no window sees the whole
#: re-plan), a few sweeps, work-limited, so the result does not depend on the machine.
WINDOWS = {"window_days": 2.0, "sweeps": 3}
WINDOW_CONFIG = SchedulerConfig(workers=1, time_limit_s=60, work_limit=5.0)


def _requests(make_request):
    return [
        make_request("a", power_w=500, duration_h=48.0),
        make_request("b", partner="B", power_w=500, duration_h=48.0),
        make_request("c", partner="C", power_w=400, duration_h=24.0, value=2.0),
        make_request("d", power_w=600, duration_h=24.0, depends_on=("c",)),
    ]


def _runs(schedule):
    return {(a.request_id, a.repeat): a.start_bucket for a in schedule.assignments}


def test_no_change_means_no_move(make_problem, make_request):
    problem = make_problem(_requests(make_request), 6)
    first = schedule_cpsat(build_instance(problem), CONFIG)
    again = replan(build_instance(problem), first, now_bucket=2, config=CONFIG)
    assert again.moved == 0
    assert _runs(again) == _runs(first)


def _previous(problem, starts):
    requests = {q.id: q for q in problem.requests}
    return Schedule(
        solver="plan",
        status="",
        value=0.0,
        assignments=[
            Assignment(
                request_id=rid,
                repeat=0,
                partner=requests[rid].partner,
                start_bucket=s,
                duration_buckets=int(requests[rid].duration_h // 24),
                start_utc="",
                end_utc="",
            )
            for rid, s in starts.items()
        ],
    )


def _fewest_moves(failed, old, executed, now, allowed_violations):
    """Brute force: the fewest moved or dropped planned runs over every schedule that keeps
    ``executed``, starts nothing else before ``now`` and has no violation beyond
    ``allowed_violations``."""
    keys = [k for k in [("a", 0), ("b", 0), ("c", 0), ("d", 0)] if k not in executed]
    best = None
    for choice in itertools.product(range(-1, 6), repeat=len(keys)):
        if any(0 <= s < now for s in choice):
            continue
        starts = {**executed, **{k: s for k, s in zip(keys, choice, strict=True) if s >= 0}}
        schedule = _previous(failed, {rid: s for (rid, _), s in starts.items()})
        if not set(check_schedule(failed, schedule)) <= set(allowed_violations):
            continue
        count = sum(1 for k, s in old.items() if s >= now and starts.get(k) != s)
        best = count if best is None else min(best, count)
    return best


def test_failure_keeps_executed_runs_and_moves_the_minimum(make_problem, make_request):
    problem = make_problem(_requests(make_request), 6)
    first = _previous(problem, {"a": 0, "b": 2, "c": 4, "d": 5})
    assert check_schedule(problem, first) == []
    now = 2
    # A power failure from bucket 3 on: 450 W instead of 1000 W. b (500 W for 2 days) fits
    # nowhere any more, d (600 W, after c) neither; c still fits where it was: 2 moves.
    failed = make_problem(_requests(make_request), 6, power_w=[1000.0] * 3 + [450.0] * 3)
    new = replan(build_instance(failed), first, now_bucket=now, config=CONFIG)
    assert check_schedule(failed, new) == []
    old, runs = _runs(first), _runs(new)
    executed = {k: s for k, s in old.items() if s < now}
    assert all(runs.get(k) == s for k, s in executed.items())
    assert all(s >= now for k, s in runs.items() if k not in executed)
    moved = sum(1 for k, s in old.items() if s >= now and runs.get(k) != s)
    assert new.moved == moved
    assert new.moved == _fewest_moves(failed, old, executed, now, []) == 2
    assert runs["a", 0] == 0 and runs["c", 0] == 4


def test_a_failure_while_a_run_is_under_way(make_problem, make_request):
    # "a" (500 W, 2 days) started in bucket 1; from bucket 2 the station has 450 W. "a" goes on
    # (it is under way) and overruns bucket 2; nothing else may use bucket 2. b (500 W) fits
    # nowhere now, c (400 W) still fits where it was.
    problem = make_problem(_requests(make_request), 6)
    first = _previous(problem, {"a": 1, "b": 3, "c": 5})
    assert check_schedule(problem, first) == []
    failed = make_problem(_requests(make_request), 6, power_w=[1000.0] * 2 + [450.0] * 4)
    new = replan(build_instance(failed), first, now_bucket=2, config=CONFIG)
    overrun = "power_w: bucket 2 uses 500, capacity 450"
    assert new.status == "OPTIMAL"
    assert check_schedule(failed, new) == [overrun]
    assert len(new.overruns) == 1
    assert "bucket 2" in new.overruns[0] and "a#0" in new.overruns[0] and "450" in new.overruns[0]
    assert _runs(new) == {("a", 0): 1, ("c", 0): 5}
    old = _runs(first)
    assert new.moved == _fewest_moves(failed, old, {("a", 0): 1}, 2, [overrun]) == 1


def test_kept_starts_drop_what_no_longer_fits_and_its_successors(make_problem, make_request):
    # "post" (100 W) would still fit, but it depends on "pre" (800 W), which does not any more.
    requests = [
        make_request("done", power_w=300, duration_h=48.0),
        make_request("pre", power_w=800),
        make_request("post", power_w=100, depends_on=("pre",)),
        make_request("keep", power_w=200),
    ]
    problem = make_problem(requests, 6)
    first = _previous(problem, {"done": 0, "pre": 2, "post": 3, "keep": 4})
    assert check_schedule(problem, first) == []
    failed = make_problem(requests, 6, power_w=[1000.0] * 2 + [500.0] * 4)
    instance = build_instance(failed)
    kept = kept_starts(instance, first, 2)
    assert {instance.job_id(j): int(s) for j, s in enumerate(kept)} == {
        "done#0": 0,
        "pre#0": -1,
        "post#0": -1,
        "keep#0": 4,
    }
    assert check_schedule(failed, _previous(failed, {"done": 0, "keep": 4})) == []


def test_when_cpsat_finds_nothing_the_kept_runs_come_back_filled(
    monkeypatch, make_problem, make_request
):
    # As above, with "e" (100 W, never planned) as well, and a CP-SAT that finds nothing in
    # time. The result keeps a (under way) and c (still fits), drops b (fits nowhere) and adds e
    # at the first bucket from now with room: not 2 (a's overrun leaves nothing), but 3.
    from ortools.sat.python import cp_model

    import moonbase.science.cpsat as cpsat

    class FindsNothing(cp_model.CpSolver):
        def solve(self, model, callback=None):
            return cp_model.UNKNOWN

    monkeypatch.setattr(cpsat.cp_model, "CpSolver", FindsNothing)
    requests = [*_requests(make_request), make_request("e", power_w=100)]
    problem = make_problem(requests, 6)
    first = _previous(problem, {"a": 1, "b": 3, "c": 5})
    failed = make_problem(requests, 6, power_w=[1000.0] * 2 + [450.0] * 4)
    new = replan(build_instance(failed), first, now_bucket=2, config=CONFIG)
    assert new.status == "UNKNOWN" and "found no solution" in new.solver
    assert _runs(new) == {("a", 0): 1, ("c", 0): 5, ("e", 0): 3}
    instance = build_instance(failed)
    fallback = kept_and_filled_starts(instance, first, 2)
    assert {instance.job_id(j) for j in range(instance.n_jobs) if fallback[j] >= 0} == {
        "a#0",
        "c#0",
        "e#0",
    }
    assert new.moved == 1 and len(new.overruns) == 1
    assert check_schedule(failed, new) == ["power_w: bucket 2 uses 500, capacity 450"]


def test_window_replan_moves_the_brute_force_minimum(make_problem, make_request):
    # The failure of test_failure_keeps_executed_runs_and_moves_the_minimum, re-planned window
    # by window.
    problem = make_problem(_requests(make_request), 6)
    first = _previous(problem, {"a": 0, "b": 2, "c": 4, "d": 5})
    failed = make_problem(_requests(make_request), 6, power_w=[1000.0] * 3 + [450.0] * 3)
    new = replan_by_windows(build_instance(failed), first, 2, WINDOW_CONFIG, **WINDOWS)
    assert check_schedule(failed, new) == []
    old, runs = _runs(first), _runs(new)
    assert runs["a", 0] == 0 and all(s >= 2 for k, s in runs.items() if k != ("a", 0))
    assert new.moved == sum(1 for k, s in old.items() if s >= 2 and runs.get(k) != s)
    assert new.moved == new.fewest_moved == _fewest_moves(failed, old, {("a", 0): 0}, 2, []) == 2


def test_window_replan_lets_a_run_under_way_overrun(make_problem, make_request):
    # As in test_a_failure_while_a_run_is_under_way.
    problem = make_problem(_requests(make_request), 6)
    first = _previous(problem, {"a": 1, "b": 3, "c": 5})
    failed = make_problem(_requests(make_request), 6, power_w=[1000.0] * 2 + [450.0] * 4)
    new = replan_by_windows(build_instance(failed), first, 2, WINDOW_CONFIG, **WINDOWS)
    assert check_schedule(failed, new) == ["power_w: bucket 2 uses 500, capacity 450"]
    assert len(new.overruns) == 1 and "a#0" in new.overruns[0]
    assert _runs(new) == {("a", 0): 1, ("c", 0): 5}
    assert new.moved == 1


def test_window_replan_restores_planned_runs_by_moving_one(monkeypatch, make_problem, make_request):
    # From bucket 2 the station has 500 W. Planned: y (500 W, days 2-3), x (300 W) and z
    # (200 W) on day 3. Keeping runs in the order of their start keeps y and drops x and z (2
    # moves); moving y to days 4-5 keeps x and z (1 move), the fewest.
    import moonbase.science.rolling as rolling

    requests = [
        make_request("y", power_w=500, duration_h=48.0),
        make_request("x", partner="B", power_w=300),
        make_request("z", partner="C", power_w=200),
    ]
    problem = make_problem(requests, 6)
    first = _previous(problem, {"y": 2, "x": 3, "z": 3})
    assert check_schedule(problem, first) == []
    failed = make_problem(requests, 6, power_w=[1000.0] * 2 + [500.0] * 4)
    instance = build_instance(failed)
    greedy = kept_starts(instance, first, 2)
    assert {instance.job_id(j): int(s) for j, s in enumerate(greedy)} == {
        "y#0": 2,
        "x#0": -1,
        "z#0": -1,
    }
    new = replan_by_windows(instance, first, 2, WINDOW_CONFIG, **WINDOWS)
    assert check_schedule(failed, new) == []
    assert _runs(new) == {("y", 0): 4, ("x", 0): 3, ("z", 0): 3}
    assert new.moved == new.fewest_moved == 1
    # The windows alone find it too, from the greedy choice (the fill puts x and z on day 4):
    # the window that holds y's start takes x and z back into it.
    monkeypatch.setattr(rolling, "keep_most", lambda *args: (greedy, 0))
    new = replan_by_windows(instance, first, 2, WINDOW_CONFIG, **WINDOWS)
    assert _runs(new) == {("y", 0): 4, ("x", 0): 3, ("z", 0): 3}
    assert new.moved == 1


def test_window_replan_weighs_moves_against_value(make_problem, make_request):
    # Nothing failed, but a new request, "high" (worth 3, 600 W for 4 days), can only run on
    # days 2-5, over the planned "low" (worth 1, 600 W, day 3). By default the plan moves as
    # little as possible, so low stays; if a move costs 1 value point, dropping low for high
    # gains 3 - 1 - 1; if it costs 5, it loses.
    requests = [
        make_request("low", power_w=600, value=1.0, priority=1),
        make_request("high", partner="B", power_w=600, duration_h=96.0, value=3.0, priority=1),
    ]
    problem = make_problem(requests, 6)
    first = _previous(problem, {"low": 3})
    instance = build_instance(problem)
    expected = {
        None: {("low", 0): 3},
        1.0: {("high", 0): 2},
        5.0: {("low", 0): 3},
    }
    for weight, runs in expected.items():
        new = replan_by_windows(
            instance, first, 2, WINDOW_CONFIG, disruption_weight=weight, **WINDOWS
        )
        assert check_schedule(problem, new) == []
        assert _runs(new) == runs, weight
        assert new.moved == (("low", 0) not in runs)


def test_a_run_under_way_that_the_new_problem_rejects_keeps_its_resources(
    make_problem, make_request
):
    # x (600 W, days 1-3) is under way on day 2, but in the new problem its partner is unknown,
    # so the request is rejected and x cannot be in the new schedule. It still runs to the end
    # of day 3, so the new request y (600 W, 1 day; the station has 1000 W) must wait for day 4.
    x = make_request("x", power_w=600, duration_h=72.0)
    y = make_request("y", partner="B", power_w=600)
    first = _previous(make_problem([x], 6), {"x": 1})
    changed = make_problem([x.model_copy(update={"partner": "Z"}), y], 6)
    instance = build_instance(changed)
    assert [r.request_id for r in instance.rejections] == ["x"]
    for new in (
        replan(instance, first, 2, CONFIG),
        replan_by_windows(instance, first, 2, WINDOW_CONFIG, **WINDOWS),
    ):
        assert _runs(new) == {("y", 0): 4}, new.solver
        assert new.overruns == []
    # With 500 W from day 2 on, x overruns days 2 and 3, and nothing else runs there: y, now of
    # 400 W, still waits for day 4.
    smaller = y.model_copy(update={"power_w": 400.0})
    failed = make_problem(
        [x.model_copy(update={"partner": "Z"}), smaller], 6, power_w=[1000.0] * 2 + [500.0] * 4
    )
    new = replan(build_instance(failed), first, 2, CONFIG)
    assert len(new.overruns) == 2 and all("x#0" in line for line in new.overruns)
    assert _runs(new) == {("y", 0): 4}


def test_a_run_under_way_stays_when_its_request_fits_nowhere_any_more(make_problem, make_request):
    # a (500 W, 3 days) started on day 1; from day 2 the station has 450 W. No 3-day span has
    # 500 W now, so the new problem alone rejects a; but a is under way and goes on (overrunning
    # days 2 and 3), and c (400 W) stays on day 5.
    requests = [
        make_request("a", power_w=500, duration_h=72.0),
        make_request("c", partner="C", power_w=400),
    ]
    first = _previous(make_problem(requests, 6), {"a": 1, "c": 5})
    failed = make_problem(requests, 6, power_w=[1000.0] * 2 + [450.0] * 4)
    instance = build_instance(failed)
    assert [r.request_id for r in instance.rejections] == ["a"]
    held = build_instance(failed, started={("a", 0): 1})
    assert held.rejections == [] and held.start_ok[0].tolist() == [0, 1, 0, 0, 0, 0]
    for new in (
        replan(instance, first, 2, CONFIG),
        replan_by_windows(instance, first, 2, WINDOW_CONFIG, **WINDOWS),
    ):
        assert _runs(new) == {("a", 0): 1, ("c", 0): 5}, new.solver
        assert new.moved == 0
        assert len(new.overruns) == 2 and all("a#0" in line for line in new.overruns)
        assert check_schedule(failed, new) == [
            "power_w: bucket 2 uses 500, capacity 450",
            "power_w: bucket 3 uses 500, capacity 450",
        ]


def test_a_fairness_band_comes_before_the_moves(make_problem, make_request):
    # A and B are entitled to half each, within +/-5 % over the whole 6 days. The plan: one
    # 600 W run a day (the station has 1000 W), A and B in turn; a0 and b0 are done by day 2.
    # Day 3 fails (450 W), so b1 must go. Without the band that is the only move (A 3 runs, B 2:
    # 60/40). With it, one of A's planned runs goes too (2 moves, 2 runs each): every day
    # holds one run at most, so nothing can make up for b1.
    from moonbase.science.models import Partner

    partners = (Partner(id="A", entitlement=0.5), Partner(id="B", entitlement=0.5))
    ids = ["a0", "b0", "a1", "b1", "a2", "b2"]
    requests = [make_request(r, partner=r[0].upper(), power_w=600) for r in ids]
    plan = {r: day for day, r in enumerate(ids)}
    first = _previous(make_problem(requests, 6, partners=partners), plan)
    power = [1000.0] * 3 + [450.0] + [1000.0] * 2
    failed = make_problem(requests, 6, power_w=power, partners=partners)
    best = _best_with_band(failed, plan, now=2)
    assert best == (False, 2, -4)
    instance = build_instance(failed)
    for replanner, config, options in (
        (replan, CONFIG, {}),
        (replan_by_windows, WINDOW_CONFIG, WINDOWS),
    ):
        for fairness in ("none", "band"):
            update = {"fairness": fairness, "fairness_tolerance": 0.05, "fairness_period_days": 6.0}
            new = replanner(instance, first, 2, config.model_copy(update=update), **options)
            assert check_schedule(failed, new) == []
            runs = {rid: s for (rid, _), s in _runs(new).items()}
            assert runs["a0"] == 0 and runs["b0"] == 1 and "b1" not in runs
            if fairness == "band":
                assert (_outside_band(runs), new.moved, -len(runs)) == best, replanner.__name__
                assert new.status != "OUTSIDE_BAND"
            else:
                assert new.moved == 1 and len(runs) == 5


def _outside_band(runs) -> bool:
    """A and B must have the same number of identical runs to lie within 50 +/- 5 %."""
    a = sum(rid.startswith("a") for rid in runs)
    return a != len(runs) - a


def _best_with_band(failed, plan, now):
    """Brute force: the least (outside the band, moved or dropped, minus runs) over every
    schedule the checker accepts that keeps the runs done before ``now``."""
    free = [r for r, s in plan.items() if s >= now]
    best = None
    for choice in itertools.product(range(-1, 6), repeat=len(free)):
        if any(0 <= s < now for s in choice):
            continue
        runs = {r: s for r, s in plan.items() if s < now}
        runs.update({r: s for r, s in zip(free, choice, strict=True) if s >= 0})
        if check_schedule(failed, _previous(failed, runs)):
            continue
        moved = sum(runs.get(r) != plan[r] for r in free)
        key = (_outside_band(runs), moved, -len(runs))
        best = key if best is None else min(best, key)
    return best


def test_a_band_the_work_done_breaks_is_reported(make_problem, make_request):
    # a0 and a1 (A) are done; from day 2 the station has 450 W, so no run fits and B gets
    # nothing: both re-planners keep the work done, drop the rest and say the band is missed.
    from moonbase.science.models import Partner

    partners = (Partner(id="A", entitlement=0.5), Partner(id="B", entitlement=0.5))
    ids = ["a0", "a1", "b0", "b1"]
    requests = [make_request(r, partner=r[0].upper(), power_w=600) for r in ids]
    plan = {r: day for day, r in enumerate(ids)}
    first = _previous(make_problem(requests, 6, partners=partners), plan)
    failed = make_problem(requests, 6, power_w=[1000.0] * 2 + [450.0] * 4, partners=partners)
    instance = build_instance(failed)
    update = {"fairness": "band", "fairness_tolerance": 0.05, "fairness_period_days": 6.0}
    for new in (
        replan(instance, first, 2, CONFIG.model_copy(update=update)),
        replan_by_windows(instance, first, 2, WINDOW_CONFIG.model_copy(update=update), **WINDOWS),
    ):
        assert new.status == "OUTSIDE_BAND"
        assert _runs(new) == {("a0", 0): 0, ("a1", 0): 1}
        assert new.moved == 2
        # how far: each run is 100 utilisation units, so A holds 200 where its band allows 55 %
        # of 200 = 110, and B none where it needs 45 % of 200 = 90
        excess = band_excess(instance, job_starts(instance, new), CONFIG.model_copy(update=update))
        assert excess == (200 - 110) + 90
