"""Long jobs wired to the library stages, through the API and a worker process.

The campaign plan the portal stores is re-checked with the campaign stage's independent
checker (:func:`moonbase.campaign.check_plan`), and its objective against CP-SAT's own bound;
the station simulation must close its energy and mass balances (relative residual < 1e-9); the
science schedule stored back on the requests is re-checked with the science stage's independent
checker (:func:`moonbase.science.check_schedule`) and, from the request rows alone, against the
windows and the power offer; requests that cannot be scheduled say why.
"""

from __future__ import annotations

import pytest

from moonbase.server import library_jobs
from moonbase.server.jobs import default_registry

from .conftest import Portal, make_portal, seed, wait_job


@pytest.fixture
def library_portal(tmp_path):
    app, client = make_portal(f"sqlite:///{tmp_path / 'p.sqlite3'}", registry=default_registry())
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


def _submit(p: Portal, who: str, **values) -> dict:
    body = {
        "title": "regolith sounding",
        "instrument": "GPR",
        "duration_h": 48,
        "power_w": 1500,
        "data_gb": 20,
        "earliest": "2031-03-01",
        "latest": "2031-03-20",
        "priority": 3,
    } | values
    response = p.client.post("/api/requests", headers=p.h(who), json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.slow
def test_schedule_job_runs_the_science_scheduler(library_portal):
    if not library_jobs.available("schedule"):
        pytest.skip("moonbase.science.schedule_cpsat is not available")
    from datetime import date, datetime, timedelta

    from moonbase.science import Schedule, SchedulingProblem, check_schedule

    p = library_portal
    assert p.client.get("/api/health").json()["jobs"]["schedule"] == "library"
    placed = [
        _submit(p, "cnsa", priority=1),
        _submit(p, "cnsa", duration_h=24, power_w=1000, priority=3),
        _submit(
            p, "ros", duration_h=30, power_w=2000, priority=2, category="technology_verification"
        ),
        _submit(p, "esa", duration_h=72, power_w=1200, earliest="2031-03-05", latest="2031-03-12"),
    ]
    # Its window (June) never opens in the March horizon of the job.
    never = _submit(p, "esa", duration_h=10, earliest="2031-06-01", latest="2031-06-02")
    # More power than the station offers science in this job (2.5 kW).
    hungry = _submit(p, "ros", duration_h=10, power_w=2800)
    params = {
        "start": "2031-03-01",
        "stop": "2031-04-01",
        "offer_power_w": 2500,
        "offer_data_buffer_gbit": 100,
    }
    job = p.client.post(
        "/api/jobs", headers=p.h("planner"), json={"kind": "schedule", "params": params}
    ).json()
    done = wait_job(p, job["id"], timeout_s=240)
    assert done["status"] == "done", done
    result = p.client.get(f"/api/schedules/{done['result_id']}", headers=p.h("planner")).json()
    assert result["summary"]["requests"] == 6 and result["summary"]["rejected"] == 2
    body = result["body"]

    # The library's independent checker accepts the stored schedule against the stored problem.
    problem = SchedulingProblem.model_validate(body["problem"])
    schedule = Schedule.model_validate(body["schedule"])
    assert check_schedule(problem, schedule) == []
    assert problem.resources.data_buffer_gbit == 100.0
    # ... and that problem is the portal's requests: durations, power and day windows.
    rows = {r["id"]: r for r in p.client.get("/api/requests", headers=p.h("planner")).json()}
    origin = date(2031, 3, 1)
    for q in problem.requests:
        row = rows[int(q.id)]
        assert (q.partner, q.duration_h, q.power_w, q.category) == (
            row["partner_id"],
            row["duration_h"],
            row["power_w"],
            row["category"],
        )
        open_days = [
            origin + timedelta(days=i)
            for i, v in enumerate(problem.resources.windows[f"request:{q.id}"])
            if v
        ]
        first, last = date.fromisoformat(row["earliest"]), date.fromisoformat(row["latest"])
        assert open_days == [d for d in open_days if first <= d <= last]

    # Stored back on the requests: every feasible one is scheduled inside its window, and the
    # science power never exceeds the 2.5 kW offer (checked here from the rows alone).
    draw: dict[date, float] = {}
    for made in placed:
        row = rows[made["id"]]
        assert row["status"] == "scheduled", row
        start = datetime.fromisoformat(row["scheduled_start"])
        end = start + timedelta(hours=row["duration_h"])
        assert start.date() >= date.fromisoformat(row["earliest"])
        assert end <= datetime.fromisoformat(row["latest"] + "T00:00:00+00:00") + timedelta(days=1)
        assert body["starts"][str(row["id"])] == start.isoformat()
        day = start.date()
        while datetime.combine(day, datetime.min.time(), start.tzinfo) < end:
            draw[day] = draw.get(day, 0.0) + row["power_w"]
            day += timedelta(days=1)
    assert max(draw.values()) <= 2500.0

    # The rejected requests say why, on the request itself and in the schedule.
    for made, field, words in (
        (never, "windows", "['2031-06-01..2031-06-02'] never open"),
        (hungry, "power_w", "more than the station ever offers"),
    ):
        row = rows[made["id"]]
        assert row["status"] == "unscheduled" and row["scheduled_start"] is None
        notes = [m for m in row["messages"] if m["type"] == "scheduler_rejection"]
        assert len(notes) == 1 and words in notes[0]["msg"], row["messages"]
        assert body["rejections"][str(made["id"])]["field"] == field
        owner = {"ESA": "esa", "ROSCOSMOS": "ros"}[made["partner_id"]]
        own = p.client.get(f"/api/requests/{made['id']}", headers=p.h(owner))
        assert own.json()["messages"] == row["messages"]

    # A member sees only their own partner's entries, and not the full problem.
    seen = p.client.get(f"/api/schedules/{done['result_id']}", headers=p.h("esa")).json()["body"]
    esa = {str(r["id"]) for r in rows.values() if r["partner_id"] == "ESA"}
    assert set(seen["starts"]) == esa and set(seen["rejections"]) == {str(never["id"])}
    assert "problem" not in seen and "schedule" not in seen
