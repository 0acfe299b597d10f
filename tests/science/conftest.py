"""Fixtures of the science tests: small hand-made problems."""

from __future__ import annotations

import itertools
import math

import pytest

from moonbase.science.checker import check_schedule
from moonbase.science.models import ExperimentRequest, Partner, SchedulingProblem, StationResources
from moonbase.science.solution import Assignment, Schedule


def _problem(
    requests, n_buckets=6, *, power_w=1000.0, crew_time_h=8.0, windows=None, partners=None
):
    resources = StationResources(
        start_utc="2031-01-01T00:00:00",
        bucket_hours=24.0,
        power_w=[power_w] * n_buckets if isinstance(power_w, float) else list(power_w),
        downlink_mbit=[100_000.0] * n_buckets,
        crew_time_h=[crew_time_h] * n_buckets,
        robot_time_h=[16.0] * n_buckets,
        windows=windows or {},
    )
    partners = partners or (
        Partner(id="A", entitlement=0.5),
        Partner(id="B", entitlement=0.3),
        Partner(id="C", entitlement=0.2),
    )
    return SchedulingProblem(
        partners=tuple(partners), requests=tuple(requests), resources=resources
    )


def _request(rid, partner="A", **fields):
    fields.setdefault("category", "basic_science")
    fields.setdefault("duration_h", 24.0)
    return ExperimentRequest(id=rid, partner=partner, **fields)


def _schedule_of(problem, starts: dict[tuple[str, int], int]) -> Schedule:
    requests = {q.id: q for q in problem.requests}
    runs = []
    for (rid, k), s in starts.items():
        d = math.ceil(requests[rid].duration_h / problem.resources.bucket_hours)
        runs.append(
            Assignment(
                request_id=rid,
                repeat=k,
                partner=requests[rid].partner,
                start_bucket=s,
                duration_buckets=d,
                start_utc="",
                end_utc="",
            )
        )
    return Schedule(solver="manual", status="", assignments=runs, value=0.0)


def _value(problem, schedule) -> float:
    requests = {q.id: q for q in problem.requests}
    return sum(
        requests[a.request_id].value * requests[a.request_id].priority for a in schedule.assignments
    )


def _brute_force(problem) -> tuple[float, int]:
    """Best weighted value over all schedules the checker accepts, and how many were checked."""
    runs = [(q.id, k) for q in problem.requests for k in range(q.repeats)]
    n = problem.resources.n_buckets
    best, count = 0.0, 0
    for choice in itertools.product(range(-1, n), repeat=len(runs)):
        starts = {run: s for run, s in zip(runs, choice, strict=True) if s >= 0}
        schedule = _schedule_of(problem, starts)
        count += 1
        if not check_schedule(problem, schedule):
            best = max(best, _value(problem, schedule))
    return best, count


@pytest.fixture
def brute_force():
    """``brute_force(problem)``: the best weighted value over every schedule the independent
    checker accepts (each run absent or at any start), and how many schedules were tried."""
    return _brute_force


@pytest.fixture
def schedule_of():
    """``schedule_of(problem, {(request id, repeat): start bucket})``: a :class:`Schedule`."""
    return _schedule_of


@pytest.fixture
def make_problem():
    """``make_problem(requests, n_buckets=6, power_w=..., crew_time_h=..., windows=..., partners=...)``."""
    return _problem


@pytest.fixture
def make_request():
    """``make_request(id, partner="A", **fields)`` with a 1-day basic-science default."""
    return _request


@pytest.fixture(scope="session")
def equal_demand():
    """Four partners (the ISS US-segment split) each asking for the same 200 one-day runs of
    1 crew hour; the station offers 10 crew hours a day for 20 days, so 200 runs fit and each
    partner alone could fill them."""
    from moonbase.science.shares import preset_partners

    partners = preset_partners("iss")
    requests = [
        ExperimentRequest(
            id=f"{p.id}-{k:03d}",
            partner=p.id,
            category="basic_science",
            duration_h=24.0,
            crew_time_h=1.0,
            power_w=100.0,
        )
        for k in range(200)
        for p in partners
    ]
    resources = StationResources(
        bucket_hours=24.0,
        power_w=[1e6] * 20,
        downlink_mbit=[1e6] * 20,
        crew_time_h=[10.0] * 20,
        robot_time_h=[0.0] * 20,
    )
    return SchedulingProblem(partners=partners, requests=tuple(requests), resources=resources)
