"""The portal's jobs are the library's plan, on a small scenario and a crop of the packaged DEM.

* the simulate job takes its light from the site's terrain horizon (it differs from a level
  horizon, and equals the site stage's own series at that point), closes its energy balance and,
  restarted from its checkpoint, gives the same run as without the restart;
* the schedule job's problem is the plan's station offer (cut the coupling and it fails), the
  stored schedule passes the science stage's independent checker, requests the station cannot
  serve say why, and the schedule stored back on the requests is re-checked from the rows.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from moonbase.server import library_jobs

from .conftest import QUICK_PLAN, Portal, make_portal, seed, small_scenario, wait_job


def _quiet(*_args, **_kwargs) -> None:
    """A progress callback that records nothing."""


@pytest.fixture(scope="module")
def small_plan(small_terrain) -> dict:
    """A plan job's document for the small scenario (run here, in this process)."""
    params = {**QUICK_PLAN, "scenario": small_scenario(), "site_terrain": small_terrain}
    return library_jobs.optimise(params, _quiet)


def test_the_default_terrain_is_the_packaged_dem_with_the_far_field(monkeypatch):
    import moonbase.site.stage as stage

    asked = {}
    monkeypatch.setattr(stage, "site_terrain", lambda **kw: asked.update(kw) or "terrain")
    assert library_jobs._terrain({"site_terrain": None}) == "terrain" and asked == {}
    # A client cannot point a job at a file of the server: the runner sets this key itself.
    from moonbase.server.jobs import _prepare
    from moonbase.store import Job

    job = Job(kind="simulate", params={"site_terrain": {"dem": "/etc/passwd"}}, scenario_id=None)
    assert _prepare(None, job, None)["site_terrain"] is None


def test_simulate_runs_on_the_sites_terrain_and_resumes_from_its_checkpoint(small_terrain):
    from moonbase.site.series import site_summary
    from moonbase.site.stage import site_terrain
    from moonbase.site.terrain_link import point_horizon_and_ground

    params = {
        "scenario": small_scenario(),
        "site_terrain": small_terrain,
        "start": "2031-03-01",
        "stop": "2031-03-04",
        "crew": 0,
    }
    saved = []

    def progress(_fraction, _message="", checkpoint=None):
        if checkpoint is not None:
            saved.append(checkpoint)

    fresh = library_jobs.simulate(params, progress)
    assert fresh["summary"]["max_balance_relative_residual"] < 1e-9
    assert fresh["summary"]["resumed_from"] is None and saved[-1]["stage"] == "horizon"
    # The site stage's own horizon and series at the point (the coupling, checked end to end).
    site = small_scenario()["site"]
    terrain = site_terrain(**{**small_terrain, "corner_xy_m": tuple(small_terrain["corner_xy_m"])})
    horizon, ground, _ = point_horizon_and_ground(
        terrain.inner, site["latitude_deg"], site["longitude_deg"], 2.0, 360
    )
    assert np.allclose(fresh["horizon_deg"], horizon, atol=1e-8)
    lit = site_summary(
        site["latitude_deg"],
        site["longitude_deg"],
        "2031-03-01",
        "2031-03-04",
        "1h",
        horizon_deg=horizon,
        ground_m=ground,
    )
    sun = np.asarray(fresh["series"]["sun_fraction"])
    assert np.allclose(sun, lit.series["sun_disk_fraction"].to_numpy(), atol=1e-6)
    level = site_summary(
        site["latitude_deg"],
        site["longitude_deg"],
        "2031-03-01",
        "2031-03-04",
        "1h",
        horizon_deg=np.zeros(360),
        ground_m=ground,
    )
    assert not np.allclose(sun, level.series["sun_disk_fraction"].to_numpy(), atol=1e-3)
    # Restarted from the horizon checkpoint (no terrain at all now): the same run.
    resumed = library_jobs.simulate(
        {**params, "site_terrain": {"dem": "/nonexistent.npy"}}, _quiet, saved[-1]
    )
    assert resumed["summary"]["resumed_from"] == "horizon"
    assert resumed["series"] == fresh["series"]
    for key, value in fresh["summary"].items():
        if key != "resumed_from":
            assert resumed["summary"][key] == value, key


def test_plan_document_holds_the_summary_and_the_stations_offer(small_plan):
    from moonbase.science.models import StationResources

    offer = StationResources.model_validate(small_plan["resources"])
    assert offer.start_utc == "2030-01-01T00:00:00" and offer.n_buckets == 545
    assert {"sunlit", "dark", "earth_in_view", "element:LAB-1"} <= set(offer.windows)
    # LAB-1's window opens on the day the campaign has it operate (the plan's arrival).
    operating = small_plan["summary"]["campaign"]["basic_model_operating"]
    opens = offer.windows["element:LAB-1"].index(True)
    assert date(2030, 1, 1) + timedelta(days=opens) >= date.fromisoformat(operating)
    json.dumps(small_plan, allow_nan=False)  # storable on PostgreSQL: no NaN anywhere


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


@pytest.fixture
def library_portal(tmp_path, small_terrain):
    from moonbase.server.jobs import default_registry

    app, client = make_portal(
        f"sqlite:///{tmp_path / 'p.sqlite3'}", registry=default_registry(), terrain=small_terrain
    )
    with client:
        yield Portal(client=client, app=app, tokens=seed(app.state.sessions))


def test_schedule_job_schedules_on_the_plans_station(library_portal, small_plan):
    from moonbase.science import Schedule, SchedulingProblem, check_schedule
    from moonbase.store import Result

    p = library_portal
    refused = p.client.post("/api/jobs", headers=p.h("planner"), json={"kind": "schedule"})
    _submit(p, "cnsa")
    failed = wait_job(p, refused.json()["id"])
    assert failed["status"] == "failed" and "no plan to schedule on" in failed["error"]
    with p.sessions().begin() as session:
        document = dict(small_plan)
        row = Result(kind="plan", summary=document.pop("summary"), body=document)
        session.add(row)
        session.flush()
        plan_id = row.id
    offer = small_plan["resources"]
    power = {date(2030, 1, 1) + timedelta(days=i): w for i, w in enumerate(offer["power_w"])}
    placed = [
        _submit(p, "cnsa", priority=1, power_w=1500),
        _submit(p, "ros", duration_h=30, power_w=2000, category="technology_verification"),
        _submit(p, "esa", duration_h=72, power_w=1200, earliest="2031-03-05", latest="2031-03-18"),
    ]
    # Its window (2031-03-02..04) has no spare power on the plan's station at all.
    dark = [d for d in (date(2031, 3, 2), date(2031, 3, 3), date(2031, 3, 4))]
    assert all(power[d] == 0.0 for d in dark)
    starved = _submit(
        p, "esa", duration_h=10, power_w=100, earliest="2031-03-02", latest="2031-03-04"
    )
    # After the plan's last day: its window never opens.
    beyond = _submit(p, "ros", duration_h=10, earliest="2031-08-01", latest="2031-08-02")
    job = p.client.post(
        "/api/jobs",
        headers=p.h("planner"),
        json={"kind": "schedule", "params": {"plan_id": plan_id, "time_limit_s": 5}},
    ).json()
    done = wait_job(p, job["id"], timeout_s=240)
    assert done["status"] == "done", done
    result = p.client.get(f"/api/schedules/{done['result_id']}", headers=p.h("planner")).json()
    body = result["body"]
    problem = SchedulingProblem.model_validate(body["problem"])
    assert check_schedule(problem, Schedule.model_validate(body["schedule"])) == []
    # The problem's station is the plan's: its power, day by day (cut this and it fails).
    first = date.fromisoformat(problem.resources.start_utc[:10])
    for i, watts in enumerate(problem.resources.power_w):
        assert watts == power[first + timedelta(days=i)]
    assert problem.resources.data_buffer_gbit == offer["data_buffer_gbit"]
    assert result["summary"]["plan_id"] == plan_id

    rows = {r["id"]: r for r in p.client.get("/api/requests", headers=p.h("planner")).json()}
    draw: dict[date, float] = {}
    for made in placed:
        row = rows[made["id"]]
        assert row["status"] == "scheduled", row
        start = datetime.fromisoformat(row["scheduled_start"])
        end = start + timedelta(hours=row["duration_h"])
        assert start.date() >= date.fromisoformat(row["earliest"])
        assert end.date() <= date.fromisoformat(row["latest"]) + timedelta(days=1)
        day = start.date()
        while datetime.combine(day, datetime.min.time(), start.tzinfo) < end:
            draw[day] = draw.get(day, 0.0) + row["power_w"]
            day += timedelta(days=1)
    assert all(watts <= power[d] + 1e-6 for d, watts in draw.items())
    for made in (starved, beyond):
        row = rows[made["id"]]
        assert row["status"] == "unscheduled" and row["scheduled_start"] is None
        notes = [m for m in row["messages"] if m["type"] == "scheduler_rejection"]
        assert len(notes) == 1 and notes[0]["msg"], row["messages"]
        assert str(made["id"]) in body["rejections"]
    assert "2031-08-01..2031-08-02" in body["rejections"][str(beyond["id"])]["reason"]

    seen = p.client.get(f"/api/schedules/{done['result_id']}", headers=p.h("esa")).json()["body"]
    esa = {str(r["id"]) for r in rows.values() if r["partner_id"] == "ESA"}
    assert set(seen["starts"]) == esa and "problem" not in seen and "schedule" not in seen
