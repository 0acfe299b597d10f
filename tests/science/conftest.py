"""Fixtures of the science tests: small hand-made problems."""

from __future__ import annotations

import pytest

from moonbase.science.models import ExperimentRequest, Partner, SchedulingProblem, StationResources


def _problem(requests, n_buckets=6, *, power_w=1000.0, crew_h=8.0, windows=None, partners=None):
    resources = StationResources(
        start_utc="2031-01-01T00:00:00",
        bucket_hours=24.0,
        power_w=[power_w] * n_buckets if isinstance(power_w, float) else list(power_w),
        downlink_mbit=[100_000.0] * n_buckets,
        crew_h=[crew_h] * n_buckets,
        robot_h=[16.0] * n_buckets,
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


@pytest.fixture
def make_problem():
    """``make_problem(requests, n_buckets=6, power_w=..., crew_h=..., windows=..., partners=...)``."""
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
            crew_hours=1.0,
            power_w=100.0,
        )
        for k in range(200)
        for p in partners
    ]
    resources = StationResources(
        bucket_hours=24.0,
        power_w=[1e6] * 20,
        downlink_mbit=[1e6] * 20,
        crew_h=[10.0] * 20,
        robot_h=[0.0] * 20,
    )
    return SchedulingProblem(partners=partners, requests=tuple(requests), resources=resources)
