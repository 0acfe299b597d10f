"""Long jobs wired to the library stages, through the API and a worker process.

The campaign plan the portal stores is re-checked with the campaign stage's independent
checker (:func:`moonbase.campaign.check_plan`), and its objective against CP-SAT's own bound;
the station simulation must close its energy and mass balances (relative residual < 1e-9).
"""

from __future__ import annotations

import pytest

from moonbase.server import library_jobs
from moonbase.server.jobs import default_registry

from .conftest import Portal, make_portal, seed, wait_job


@pytest.fixture
def library_portal(tmp_path):
    app, client = make_portal(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app.state.runner.registry = default_registry()
    with client:
        yield Portal(client=client, app=app, tokens=seed(app.state.sessions))


@pytest.mark.slow
def test_optimise_job_runs_the_campaign_optimiser(library_portal):
    if not library_jobs.available("optimise"):
        pytest.skip("moonbase.campaign.optimise_campaign is not available")
    from moonbase.campaign import CampaignPlan, check_plan, instance_from_scenario
    from moonbase.scenario import builtin_scenario

    p = library_portal
    job = p.client.post(
        "/api/jobs",
        headers=p.h("planner"),
        json={"kind": "optimise", "params": {"time_limit_s": 5}},
    ).json()
    done = wait_job(p, job["id"], timeout_s=240)
    assert done["status"] == "done", done
    plan = p.client.get(f"/api/plans/{done['result_id']}", headers=p.h("esa")).json()
    instance = instance_from_scenario(builtin_scenario("ilrs-reference"))
    flights = CampaignPlan(flights=plan["body"]["flights"])
    assert check_plan(instance, flights) == []
    summary = plan["summary"]
    assert summary["flights"] == len(flights.flights) > 0
    first = summary["objectives"][0]
    if summary["bound"] is not None:  # minimisation: the plan is no better than the bound
        assert summary["values"][first] >= summary["bound"] - 1e-6
    assert summary["values"][first] <= summary["greedy_values"][first] + 1e-6
    assert len(plan["body"]["tasks"]) >= summary["flights"]


@pytest.mark.slow
def test_simulate_job_runs_the_station_twin(library_portal):
    if not library_jobs.available("simulate"):
        pytest.skip("moonbase.systems.simulate_station is not available")
    p = library_portal
    params = {"start": "2031-01-01", "stop": "2031-01-04", "crew": 4}
    job = p.client.post(
        "/api/jobs", headers=p.h("planner"), json={"kind": "simulate", "params": params}
    ).json()
    done = wait_job(p, job["id"], timeout_s=240)
    assert done["status"] == "done", done
    sim = p.client.get(f"/api/simulations/{done['result_id']}", headers=p.h("esa")).json()
    # 3 days at 1 h steps, both ends included: 73 samples.
    assert len(sim["body"]["series"]["power_w"]) == 73 == sim["summary"]["steps"]
    assert sim["summary"]["max_balance_relative_residual"] < 1e-9
    bad = p.client.post(
        "/api/jobs",
        headers=p.h("planner"),
        json={"kind": "simulate", "params": {"start": "2031-01-01", "stop": "2040-01-01"}},
    ).json()
    failed = wait_job(p, bad["id"])
    assert failed["status"] == "failed" and "params.stop" in failed["error"]
