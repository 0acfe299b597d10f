"""Malformed requests are reported one by one with the reason; the rest still schedule."""

from __future__ import annotations

import pytest

from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import schedule_cpsat
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import build_instance, per_bucket_demand
from moonbase.science.solution import SchedulerConfig


@pytest.fixture
def mixed(make_problem, make_request):
    windows = {"sunlit": [True] * 10, "dark": [False] * 10, "earth_in_view": [True, False] * 5}
    requests = [
        make_request("good-1", power_w=300),
        make_request("ghost", partner="Atlantis"),
        make_request("never-dark", windows=("dark",)),
        make_request("too-long", duration_h=24.0 * 11),
        make_request("no-such-window", windows=("aurora",)),
        make_request("earth-2d", duration_h=48.0, windows=("earth_in_view",)),
        make_request("too-hungry", power_w=5000),
        make_request("after-ghost", depends_on=("ghost",)),
        make_request("after-nothing", depends_on=("nowhere",)),
        make_request("loop-a", depends_on=("loop-b",)),
        make_request("loop-b", depends_on=("loop-a",)),
        make_request("good-2", partner="B", depends_on=("good-1",), windows=("sunlit",)),
        make_request("good-1", partner="C"),
    ]
    return make_problem(requests, 10, power_w=1000.0, windows=windows)


def test_each_malformed_request_is_reported_with_its_reason(mixed):
    instance = build_instance(mixed)
    reasons = {r.request_id: (r.field, r.reason) for r in instance.rejections}
    assert reasons["ghost"][0] == "partner" and "Atlantis" in reasons["ghost"][1]
    assert reasons["never-dark"][0] == "windows" and "never open" in reasons["never-dark"][1]
    assert reasons["too-long"][0] == "duration_h"
    assert "longer than the campaign" in reasons["too-long"][1]
    assert reasons["no-such-window"][0] == "windows" and "aurora" in reasons["no-such-window"][1]
    assert "never stay open for a whole run" in reasons["earth-2d"][1]
    assert reasons["too-hungry"][0] == "power_w" and "5000" in reasons["too-hungry"][1]
    assert "rejected" in reasons["after-ghost"][1]
    assert "unknown" in reasons["after-nothing"][1]
    assert "cycle" in reasons["loop-a"][1] and "cycle" in reasons["loop-b"][1]
    assert [r.field for r in instance.rejections if r.request_id == "good-1"] == ["id"]
    assert [q.id for q in instance.requests] == ["good-1", "good-2"]


def test_the_rest_still_schedule(mixed):
    instance = build_instance(mixed)
    for schedule in (
        schedule_cpsat(instance, SchedulerConfig(workers=1, time_limit_s=10)),
        schedule_greedy(instance),
    ):
        assert {a.request_id for a in schedule.assignments} == {"good-1", "good-2"}
        assert len(schedule.rejections) == 11
        assert check_schedule(mixed, schedule) == []


def test_demand_is_rounded_up_per_bucket(make_request):
    # 3 days, 10 Gbit and 5 crew hours in all: 3334 Mbit and 100 crew-minutes per day.
    q = make_request("x", duration_h=60.0, data_volume_gbit=10.0, crew_time_h=5.0, power_w=99.5)
    need = per_bucket_demand(q, 24.0)
    assert need["downlink_mbit"] == 3334
    assert need["crew_time_h"] == 100
    assert need["power_w"] == 100


def test_runs_beyond_the_span_are_unreachable_by_a_forward_pass():
    # 5 daily runs, each at least 2 days after the previous ends, in a 10-day span: runs start
    # on days 0, 3, 6 and 9 at the earliest, so the fifth cannot (it would start on day 12).
    # Close the window from day 5 on and only the first two remain reachable.
    from moonbase.science.instance import build_instance, unreachable_runs

    from .conftest import _problem, _request

    series = _request("S", repeats=5, repeat_gap_h=48.0)
    instance = build_instance(_problem([series], n_buckets=10))
    assert unreachable_runs(instance).tolist() == [False, False, False, False, True]
    shut = {"w": [True] * 5 + [False] * 5}
    instance = build_instance(
        _problem([series.model_copy(update={"windows": ("w",)})], n_buckets=10, windows=shut)
    )
    assert unreachable_runs(instance).tolist() == [False, False, True, True, True]
    # a run that depends on one that can only end after its own window closes is unreachable
    first = _request("S", windows=("w",))
    after = _request("T", depends_on=("S",), windows=("v",))
    windows = {"w": [False] * 9 + [True], "v": [True] * 5 + [False] * 5}
    instance = build_instance(_problem([first, after], n_buckets=10, windows=windows))
    assert not instance.rejections
    assert unreachable_runs(instance).tolist() == [False, True]
