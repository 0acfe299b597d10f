"""Re-planning keeps executed work and moves as few planned runs as possible.

The minimal number of moved runs is checked against a brute force over every schedule the
independent checker accepts that keeps the executed runs.
"""

from __future__ import annotations

import itertools

from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import replan, schedule_cpsat
from moonbase.science.instance import build_instance
from moonbase.science.solution import Assignment, Schedule, SchedulerConfig

CONFIG = SchedulerConfig(workers=1, time_limit_s=10)


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

    # Brute force: every run absent or at any start from `now`, executed runs fixed.
    keys = [k for k in [("a", 0), ("b", 0), ("c", 0), ("d", 0)] if k not in executed]
    requests = {q.id: q for q in failed.requests}
    best = None
    for choice in itertools.product(range(-1, 6), repeat=len(keys)):
        if any(0 <= s < now for s in choice):
            continue
        starts = {**executed, **{k: s for k, s in zip(keys, choice, strict=True) if s >= 0}}
        candidate = Schedule(
            solver="bf",
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
                for (rid, _), s in starts.items()
            ],
        )
        if check_schedule(failed, candidate):
            continue
        count = sum(1 for k, s in old.items() if s >= now and starts.get(k) != s)
        best = count if best is None else min(best, count)
    assert new.moved == best == 2
    assert runs["a", 0] == 0 and runs["c", 0] == 4
