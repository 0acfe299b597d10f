"""API tests for every endpoint, including authorization failures, on SQLite and PostgreSQL.

Expected numbers are worked by hand in the comments (hours summed, windows counted) or come
from an independent computation in the test (hashlib for token digests, a brute-force overlap
check for the schedule). Another partner's rows must answer 404, exactly like missing ones.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from moonbase.store import Token

from .conftest import PARTNERS, wait_job

REQUEST = {
    "title": "Regolith seismometer run",
    "instrument": "SEIS-1",
    "duration_h": 48.0,
    "power_w": 60.0,
    "data_gb": 3.5,
    "earliest": "2031-03-01",
    "latest": "2031-03-20",
    "priority": 2,
}


def post_request(portal, who="cnsa", **changes):
    response = portal.client.post("/api/requests", headers=portal.h(who), json=REQUEST | changes)
    assert response.status_code == 201, response.text
    return response.json()


# ---- meta, auth ---------------------------------------------------------------------------------


def test_health_openapi_and_every_route_is_documented(portal):
    health = portal.client.get("/api/health").json()
    assert health["status"] == "ok" and health["revision"] == "0003"
    assert set(health["jobs"]) == {"optimise", "simulate", "schedule"}
    spec = portal.client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in (
        "/api/me",
        "/api/partners",
        "/api/partners/{partner_id}",
        "/api/tokens",
        "/api/tokens/{token_id}",
        "/api/scenarios",
        "/api/scenarios/{scenario_id}",
        "/api/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/cancel",
        "/api/plans",
        "/api/plans/{plan_id}",
        "/api/simulations",
        "/api/simulations/{simulation_id}",
        "/api/schedules",
        "/api/schedules/{schedule_id}",
        "/api/shares",
        "/api/requests",
        "/api/requests/{request_id}",
        "/api/products",
        "/api/products/{product_id}",
        "/api/products/{product_id}/content",
    ):
        assert path in paths, path
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_schema_from_migrations_matches_the_models(portal):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from moonbase.store import Base

    engine = portal.sessions().kw["bind"]
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer ", "Basic abc"])
def test_missing_or_wrong_token_is_401(portal, header):
    headers = {"Authorization": header} if header else {}
    for path in ("/api/me", "/api/requests", "/api/plans", "/api/products", "/api/shares"):
        response = portal.client.get(path, headers=headers)
        assert response.status_code == 401, (path, header)
        assert "token" in response.json()["message"]


def test_me_and_tokens_are_stored_as_sha256_only(portal):
    me = portal.client.get("/api/me", headers=portal.h("cnsa")).json()
    assert me == {
        "partner_id": "CNSA",
        "partner_name": "CNSA",
        "role": "member",
        "token_prefix": portal.tokens["cnsa"][:8],
    }
    with portal.sessions()() as session:
        hashes = set(session.scalars(select(Token.token_hash)))
        dump = " ".join(
            str(v) for row in session.execute(text("SELECT * FROM tokens")) for v in row
        )
    for token in portal.tokens.values():
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
        assert token not in dump


# ---- partners and tokens ------------------------------------------------------------------------


def test_partners_list_and_only_planners_change_them(portal):
    listed = portal.client.get("/api/partners", headers=portal.h("esa")).json()
    assert {p["id"]: p["entitlement"] for p in listed} == PARTNERS
    body = {"id": "JAXA", "name": "Japan", "entitlement": 0.1}
    denied = portal.client.put("/api/partners/JAXA", headers=portal.h("cnsa_admin"), json=body)
    assert denied.status_code == 403
    done = portal.client.put("/api/partners/JAXA", headers=portal.h("planner"), json=body)
    assert done.status_code == 200 and done.json()["entitlement"] == 0.1
    wrong = portal.client.put("/api/partners/ESA", headers=portal.h("planner"), json=body)
    assert wrong.status_code == 422
    bad = portal.client.put(
        "/api/partners/JAXA", headers=portal.h("planner"), json=body | {"entitlement": 1.5}
    )
    assert bad.status_code == 422 and "entitlement" in bad.json()["message"]


def test_tokens_scoped_by_partner_and_role(portal):
    c, h = portal.client, portal.h
    assert c.get("/api/tokens", headers=h("cnsa")).status_code == 403
    own = c.get("/api/tokens", headers=h("cnsa_admin")).json()
    assert {t["partner_id"] for t in own} == {"CNSA"} and len(own) == 3
    assert len(c.get("/api/tokens", headers=h("planner")).json()) == 7
    made = c.post("/api/tokens", headers=h("cnsa_admin"), json={"role": "member", "label": "x"})
    assert made.status_code == 201
    new = made.json()
    assert new["token"].startswith("mb_") and new["partner_id"] == "CNSA"
    assert c.get("/api/me", headers={"Authorization": f"Bearer {new['token']}"}).status_code == 200
    # An admin cannot mint tokens for another partner or a planner token.
    other = c.post("/api/tokens", headers=h("cnsa_admin"), json={"partner_id": "ESA"})
    assert other.status_code == 403
    boss = c.post("/api/tokens", headers=h("cnsa_admin"), json={"role": "station_planner"})
    assert boss.status_code == 403
    assert c.post("/api/tokens", headers=h("cnsa"), json={}).status_code == 403
    # Revoking another partner's token answers 404; revoking one's own works and bites at once.
    ros_ids = [t["id"] for t in c.get("/api/tokens", headers=h("ros_admin")).json()]
    assert c.delete(f"/api/tokens/{ros_ids[0]}", headers=h("cnsa_admin")).status_code == 404
    revoked = c.delete(f"/api/tokens/{new['id']}", headers=h("cnsa_admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert c.get("/api/me", headers={"Authorization": f"Bearer {new['token']}"}).status_code == 401
    planner_made = c.post(
        "/api/tokens", headers=h("planner"), json={"partner_id": "ESA", "role": "partner_admin"}
    )
    assert planner_made.status_code == 201 and planner_made.json()["partner_id"] == "ESA"
    ghost = c.post("/api/tokens", headers=h("planner"), json={"partner_id": "NOBODY"})
    assert ghost.status_code == 404


# ---- scenarios ----------------------------------------------------------------------------------


def _scenario_document() -> tuple[dict, bool]:
    """A valid scenario document: the built-in ILRS one when the library provides it."""
    try:
        from moonbase.scenario import builtin_scenario
    except ImportError:
        return {"name": "ILRS phase 1", "partners": []}, False
    return builtin_scenario("ilrs-reference").model_dump(mode="json"), True


def test_scenarios(portal):
    c, h = portal.client, portal.h
    document, checked = _scenario_document()
    body = {"name": "ILRS phase 1", "body": document}
    assert c.post("/api/scenarios", headers=h("cnsa_admin"), json=body).status_code == 403
    created = c.post("/api/scenarios", headers=h("planner"), json=body)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert [s["id"] for s in c.get("/api/scenarios", headers=h("esa")).json()] == [sid]
    assert c.get(f"/api/scenarios/{sid}", headers=h("esa")).json()["body"] == document
    assert c.get("/api/scenarios/999", headers=h("esa")).status_code == 404
    if checked:  # the library's model refuses a broken document with the field's path
        broken = c.post(
            "/api/scenarios",
            headers=h("planner"),
            json={"name": "x", "body": document | {"partners": 3}},
        )
        assert broken.status_code == 422 and broken.json()["message"].startswith("body.partners")
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    too_deep = c.post("/api/scenarios", headers=h("planner"), json={"name": "x", "body": deep})
    assert too_deep.status_code == 422 and "nested deeper" in too_deep.json()["message"]


# ---- experiment requests ------------------------------------------------------------------------


def test_request_is_validated_and_listed_only_for_its_partner(portal):
    c, h = portal.client, portal.h
    mine = post_request(portal)
    assert mine["status"] == "validated" and mine["partner_id"] == "CNSA"
    theirs = post_request(portal, "ros", title="Radio array calibration")
    assert [r["id"] for r in c.get("/api/requests", headers=h("cnsa")).json()] == [mine["id"]]
    assert [r["id"] for r in c.get("/api/requests", headers=h("ros")).json()] == [theirs["id"]]
    everything = c.get("/api/requests", headers=h("planner")).json()
    assert {r["id"] for r in everything} == {mine["id"], theirs["id"]}
    only_ros = c.get("/api/requests", params={"partner": "ROSCOSMOS"}, headers=h("planner"))
    assert [r["id"] for r in only_ros.json()] == [theirs["id"]]
    assert c.get(f"/api/requests/{mine['id']}", headers=h("cnsa2")).status_code == 200
    assert c.get("/api/requests?partner=ROSCOSMOS", headers=h("cnsa")).status_code == 403


def test_a_partner_cannot_read_or_change_anothers_requests(portal):
    c, h = portal.client, portal.h
    theirs = post_request(portal, "ros")
    url = f"/api/requests/{theirs['id']}"
    for response in (
        c.get(url, headers=h("cnsa")),
        c.get(url, headers=h("cnsa_admin")),
        c.patch(url, headers=h("cnsa_admin"), json={"title": "hijacked"}),
        c.delete(url, headers=h("cnsa_admin")),
    ):
        assert response.status_code == 404
        assert "not found" in response.json()["message"]
    # Same answer as for an id that does not exist: nothing leaks.
    assert c.get("/api/requests/424242", headers=h("cnsa")).status_code == 404
    stored = c.get(url, headers=h("ros")).json()
    assert stored["title"] == REQUEST["title"] and stored["status"] == "validated"
    # Station planners see it but do not edit partners' requests.
    assert c.get(url, headers=h("planner")).status_code == 200
    assert c.patch(url, headers=h("planner"), json={"priority": 1}).status_code == 403


def test_members_change_their_own_requests_admins_their_partners(portal):
    c, h = portal.client, portal.h
    made = post_request(portal, "cnsa")
    url = f"/api/requests/{made['id']}"
    assert c.patch(url, headers=h("cnsa2"), json={"priority": 1}).status_code == 403
    assert c.patch(url, headers=h("cnsa"), json={"priority": 1}).json()["priority"] == 1
    patched = c.patch(url, headers=h("cnsa_admin"), json={"duration_h": 24})
    assert patched.status_code == 200 and patched.json()["duration_h"] == 24
    # A patch is re-validated as a whole: the window 2031-03-01..03-20 is 20 days = 480 h.
    too_long = c.patch(url, headers=h("cnsa"), json={"duration_h": 481})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "duration_h"]
    assert c.patch(url, headers=h("cnsa"), json={"duration_h": 480}).status_code == 200
    withdrawn = c.delete(url, headers=h("cnsa"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert c.patch(url, headers=h("cnsa"), json={"priority": 2}).status_code == 409


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"latest": "2031-02-01"}, "latest", "before earliest"),
        ({"earliest": "2020-01-01"}, "earliest", "before station science starts"),
        ({"latest": "2099-01-01"}, "latest", "after the planning horizon"),
        ({"power_w": 5000}, "power_w", "exceeds"),
        ({"data_gb": 5000}, "data_gb", "exceeds"),
        # One lunar day is 29.530588 d / 2 = 354.4 h (synodic month, half sunlit).
        ({"needs_sunlight": True, "duration_h": 400}, "duration_h", "longer than a lunar day"),
        ({"duration_h": -1}, "duration_h", "greater than 0"),
        ({"title": ""}, "title", "at least 1"),
        ({"priority": 9}, "priority", "less than or equal to 5"),
        ({"earliest": "2031-02-30"}, "earliest", "date"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_request_validation_messages_name_the_field(portal, changes, field, words):
    response = portal.client.post("/api/requests", headers=portal.h("cnsa"), json=REQUEST | changes)
    assert response.status_code == 422
    body = response.json()
    assert body["message"].startswith(field), body
    assert words in body["message"], body
    assert portal.client.get("/api/requests", headers=portal.h("cnsa")).json() == []


def test_short_window_gets_a_warning_but_is_accepted(portal):
    # 48 h in a 3-day (72 h) window: more than half of it, so a warning is stored.
    made = post_request(portal, earliest="2031-03-01", latest="2031-03-03")
    assert made["status"] == "validated"
    assert made["messages"] and "little room" in made["messages"][0]["msg"]


# ---- data products and embargo ------------------------------------------------------------------


def test_embargoed_data_is_invisible_to_other_partners(portal):
    c, h = portal.client, portal.h
    today = datetime.now(UTC).date()  # the portal's embargo clock is UTC
    future = (today + timedelta(days=365)).isoformat()
    past = (today - timedelta(days=1)).isoformat()
    rows = {}
    for name, access, until in (
        ("embargoed", "consortium", future),
        ("last-day", "consortium", today.isoformat()),  # the embargo holds through this day
        ("released", "consortium", past),
        ("private", "private", past),
        ("open", "consortium", None),
    ):
        body = {
            "name": name,
            "access": access,
            "embargo_until": until,
            "content": f"t,v\n0,{name}\n",
        }
        made = c.post("/api/products", headers=h("cnsa_admin"), json=body)
        assert made.status_code == 201, made.text
        rows[name] = made.json()
    assert rows["embargoed"]["embargoed"] is True and rows["released"]["embargoed"] is False
    assert rows["open"]["size_bytes"] == len(b"t,v\n0,open\n")

    seen_by_ros = {p["name"] for p in c.get("/api/products", headers=h("ros")).json()}
    assert seen_by_ros == {"released", "open"}
    for name in ("embargoed", "last-day", "private"):
        pid = rows[name]["id"]
        assert c.get(f"/api/products/{pid}", headers=h("ros")).status_code == 404
        assert c.get(f"/api/products/{pid}/content", headers=h("ros")).status_code == 404
    released = c.get(f"/api/products/{rows['released']['id']}/content", headers=h("esa"))
    assert released.status_code == 200 and released.text == "t,v\n0,released\n"
    # The owner's members read everything of their own partner.
    own = c.get(f"/api/products/{rows['embargoed']['id']}/content", headers=h("cnsa"))
    assert own.status_code == 200 and "embargoed" in own.text
    # The embargo binds station planners too (the science archive's rules): not even listed.
    by_planner = {p["name"] for p in c.get("/api/products", headers=h("planner")).json()}
    assert by_planner == {"released", "open"}
    for name in ("embargoed", "private"):
        pid = rows[name]["id"]
        assert c.get(f"/api/products/{pid}", headers=h("planner")).status_code == 404
        assert c.get(f"/api/products/{pid}/content", headers=h("planner")).status_code == 404
    # The embargo holds through its last day: released the day after.
    assert rows["released"]["embargo_until"] == past


def test_products_are_added_by_admins_for_their_own_partner(portal):
    c, h = portal.client, portal.h
    assert c.post("/api/products", headers=h("cnsa"), json={"name": "x"}).status_code == 403
    other = c.post(
        "/api/products", headers=h("cnsa_admin"), json={"name": "x", "partner_id": "ESA"}
    )
    assert other.status_code == 403
    theirs = post_request(portal, "ros")
    linked = c.post(
        "/api/products", headers=h("cnsa_admin"), json={"name": "x", "request_id": theirs["id"]}
    )
    assert linked.status_code == 404
    mine = post_request(portal, "cnsa")
    ok = c.post(
        "/api/products", headers=h("cnsa_admin"), json={"name": "x", "request_id": mine["id"]}
    )
    assert ok.status_code == 201 and ok.json()["request_id"] == mine["id"]
    by_planner = c.post(
        "/api/products", headers=h("planner"), json={"name": "y", "partner_id": "ESA"}
    )
    assert by_planner.status_code == 201 and by_planner.json()["partner_id"] == "ESA"


# ---- jobs, plans, simulations, schedules, shares ------------------------------------------------


def test_jobs_refuse_the_callers_mistakes(portal):
    c, h = portal.client, portal.h
    assert (
        c.post("/api/jobs", headers=h("cnsa_admin"), json={"kind": "optimise"}).status_code == 403
    )
    assert c.post("/api/jobs", headers=h("planner"), json={"kind": "melt"}).status_code == 422
    missing = c.post(
        "/api/jobs", headers=h("planner"), json={"kind": "optimise", "scenario_id": 77}
    )
    assert missing.status_code == 404


@pytest.fixture
def real_portal(db_url, small_terrain):
    """The portal with the library's jobs (the real plan) on a 12 km crop of the packaged DEM."""
    from moonbase.server.jobs import default_registry

    from .conftest import Portal, make_portal, seed

    app, client = make_portal(db_url, registry=default_registry(), terrain=small_terrain)
    with client:
        yield Portal(client=client, app=app, tokens=seed(app.state.sessions))


def test_main_flow_plan_simulate_schedule_and_shares(real_portal):
    """The partners' stored scenario is planned (moonbase.plan), simulated on the site's
    terrain, and the partners' requests scheduled on what that plan's station offers."""
    from moonbase.spine import SUMMARY_KEYS
    from moonbase.terrain.projection import xy_of_latlon

    from .conftest import QUICK_PLAN, small_scenario

    portal = real_portal
    c, h = portal.client, portal.h
    assert c.get("/api/health").json()["jobs"] == dict.fromkeys(
        ("optimise", "simulate", "schedule"), "library"
    )
    document = small_scenario()
    made = c.post("/api/scenarios", headers=h("planner"), json={"name": "small", "body": document})
    assert made.status_code == 201, made.text
    sid = made.json()["id"]

    # Requests: CNSA 48 h + 24 h, ROSCOSMOS 30 h in 2031-03-01..20; ESA's one-day request on
    # 2031-03-03, a day the plan's station has no power to spare (checked below); one withdrawn.
    a = post_request(portal, "cnsa", priority=1)
    b = post_request(portal, "cnsa", duration_h=24, priority=3)
    r = post_request(portal, "ros", duration_h=30, priority=2)
    withdrawn = post_request(portal, "esa", duration_h=10)
    c.delete(f"/api/requests/{withdrawn['id']}", headers=h("esa"))
    late = post_request(
        portal, "esa", duration_h=24, earliest="2031-03-03", latest="2031-03-03", priority=5
    )

    def run(kind: str, params: dict) -> dict:
        job = c.post(
            "/api/jobs",
            headers=h("planner"),
            json={"kind": kind, "scenario_id": sid, "params": params},
        )
        assert job.status_code == 202 and job.json()["status"] == "queued"
        done = wait_job(portal, job.json()["id"], timeout_s=300)
        assert done["status"] == "done" and done["attempts"] == 1, done
        return done

    # The plan: summary.json's sections, the station's cell within the scenario site's 1 km.
    plan_job = run("optimise", QUICK_PLAN)
    plan = c.get(f"/api/plans/{plan_job['result_id']}", headers=h("esa")).json()
    summary = plan["summary"]
    assert summary["scenario"] == document["name"] and summary["as_of"] == "2030-01-01"
    for section, keys in SUMMARY_KEYS.items():
        assert set(keys) <= set(summary[section]), section
    site = document["site"]
    x0, y0 = xy_of_latlon(site["latitude_deg"], site["longitude_deg"])
    x1, y1 = xy_of_latlon(summary["site"]["latitude_deg"], summary["site"]["longitude_deg"])
    assert ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 <= 1000.0 + 200.0  # radius + one cell
    assert summary["campaign"]["first_launch"] >= "2030-01-01"
    assert {t["element"] for t in plan["body"]["tasks"]} <= {e["id"] for e in document["elements"]}
    offer = plan["body"]["resources"]
    # One bucket a day from the plan's date to the campaign's end (2030-01-01..2031-06-30).
    assert offer["start_utc"] == "2030-01-01T00:00:00" and len(offer["power_w"]) == 545
    day = {
        (date(2030, 1, 1) + timedelta(days=i)).isoformat(): p
        for i, p in enumerate(offer["power_w"])
    }
    assert day["2031-03-03"] == 0.0 and max(day[f"2031-03-{d:02d}"] for d in range(8, 19)) > 1000

    # The simulation: on the site's terrain horizon, energy conserved.
    sim_job = run("simulate", {"start": "2031-03-01", "stop": "2031-03-03", "crew": 0})
    sim = c.get(f"/api/simulations/{sim_job['result_id']}", headers=h("esa")).json()
    assert len(sim["body"]["series"]["power_w"]) == 49  # 2 days at 1 h, both ends
    assert sim["summary"]["max_balance_relative_residual"] < 1e-9
    assert "crop.npy" in sim["summary"]["terrain"] and len(sim["body"]["horizon_deg"]) == 360
    assert (sim["summary"]["latitude_deg"], sim["summary"]["longitude_deg"]) == (
        site["latitude_deg"],
        site["longitude_deg"],
    )

    # The schedule: on that plan's offer.
    sched_job = run("schedule", {})
    listed = {x["id"]: x for x in c.get("/api/requests", headers=h("planner")).json()}
    assert listed[withdrawn["id"]]["status"] == "withdrawn"
    placed = [listed[i] for i in (a["id"], b["id"], r["id"])]
    assert all(x["status"] == "scheduled" for x in placed), placed
    assert listed[late["id"]]["status"] == "unscheduled"
    assert listed[late["id"]]["messages"][-1]["type"] == "scheduler_rejection"
    # Independent check from the rows alone: every run lies in its window, and on each day the
    # runs draw no more power than the plan's station offers that day.
    draw: dict[str, float] = {}
    for x in placed:
        start = datetime.fromisoformat(x["scheduled_start"])
        end = start + timedelta(hours=x["duration_h"])
        assert date.fromisoformat(x["earliest"]) <= start.date()
        assert end.date() <= date.fromisoformat(x["latest"]) + timedelta(days=1)
        t = start
        while t < end:
            draw[t.date().isoformat()] = draw.get(t.date().isoformat(), 0.0) + x["power_w"]
            t += timedelta(days=1)
    assert all(watts <= day[d] + 1e-6 for d, watts in draw.items()), (draw, day)

    schedule = c.get(f"/api/schedules/{sched_job['result_id']}", headers=h("planner")).json()
    assert schedule["summary"]["plan_id"] == plan_job["result_id"]
    problem = schedule["body"]["problem"]["resources"]
    first = (date.fromisoformat(problem["start_utc"][:10]) - date(2030, 1, 1)).days
    assert problem["power_w"] == offer["power_w"][first : first + len(problem["power_w"])]

    # Shares: scheduled hours CNSA 48 + 24 = 72, ROSCOSMOS 30, ESA 0; total 102.
    shares = {s["partner_id"]: s for s in c.get("/api/shares", headers=h("esa")).json()}
    assert shares["CNSA"]["scheduled_h"] == 72 and shares["ROSCOSMOS"]["scheduled_h"] == 30
    assert shares["CNSA"]["share"] == pytest.approx(72 / 102, abs=1e-12)
    assert shares["ESA"]["share"] == 0 and shares["CNSA"]["entitlement"] == 0.5

    # The schedule document shows a member only their own partner's entries.
    sched_id = sched_job["result_id"]
    assert [s["id"] for s in c.get("/api/schedules", headers=h("cnsa")).json()] == [sched_id]
    seen = c.get(f"/api/schedules/{sched_id}", headers=h("cnsa")).json()["body"]["starts"]
    assert set(seen) == {str(a["id"]), str(b["id"])}
    full = c.get(f"/api/schedules/{sched_id}", headers=h("planner")).json()["body"]["starts"]
    assert set(full) == {str(x["id"]) for x in (a, b, r, late)}  # withdrawn: not scheduled

    # Jobs belong to the planner's partner: members of others do not see them.
    assert c.get("/api/jobs", headers=h("cnsa")).json() == []
    assert c.get(f"/api/jobs/{plan_job['id']}", headers=h("cnsa")).status_code == 404
    assert len(c.get("/api/jobs?status=done", headers=h("planner")).json()) == 3
    finished = c.post(f"/api/jobs/{plan_job['id']}/cancel", headers=h("planner"))
    assert finished.status_code == 409


def test_job_cancel_and_failure(portal):
    c, h = portal.client, portal.h
    slow = c.post(
        "/api/jobs",
        headers=h("planner"),
        json={"kind": "simulate", "params": {"hours": 100, "chunks": 100, "delay_s": 0.1}},
    ).json()
    queued = c.post(
        "/api/jobs", headers=h("planner"), json={"kind": "optimise", "params": {}}
    ).json()
    # The second waits behind the first (one worker): cancelling it stops it before it starts.
    cancelled = c.post(f"/api/jobs/{queued['id']}/cancel", headers=h("planner")).json()
    assert cancelled["status"] == "cancelled"
    assert c.post(f"/api/jobs/{slow['id']}/cancel", headers=h("cnsa")).status_code == 403
    deadline = time.monotonic() + 120  # the worker process may take a while to spawn
    while time.monotonic() < deadline:
        job = c.get(f"/api/jobs/{slow['id']}", headers=h("planner")).json()
        if job["status"] != "queued" and job["progress"] > 0:
            break
        time.sleep(0.02)
    assert job["status"] == "running", job
    assert c.post(f"/api/jobs/{slow['id']}/cancel", headers=h("planner")).status_code == 200
    job = wait_job(portal, slow["id"])
    assert job["status"] == "cancelled" and 0 < job["progress"] < 1
    assert wait_job(portal, queued["id"])["attempts"] == 0
    bad = c.post(
        "/api/jobs", headers=h("planner"), json={"kind": "optimise", "params": {"elements": 10**6}}
    ).json()
    failed = wait_job(portal, bad["id"])
    assert failed["status"] == "failed" and "elements" in failed["error"]
    assert c.get("/api/plans", headers=h("planner")).json() == []


def test_job_left_running_by_a_dead_server_resumes_from_its_checkpoint(db_url):
    from moonbase.store import Job

    from .conftest import make_portal, seed

    app, client = make_portal(db_url, start_jobs=False)
    with client:
        tokens = seed(app.state.sessions)
        with app.state.sessions.begin() as session:
            # As a killed server leaves it: running, 2 of 4 chunks checkpointed.
            job = Job(
                partner_id="ILRS",
                kind="simulate",
                params={"hours": 40, "chunks": 4},
                status="running",
                progress=0.5,
                message="chunk 2 of 4",
                checkpoint={"chunk": 2, "power_w": [1.0] * 20},
                cancel_requested=False,
                attempts=1,
            )
            session.add(job)
            session.flush()
            job_id = job.id
    app2, client2 = make_portal(db_url)
    with client2:
        from .conftest import Portal

        portal = Portal(client=client2, app=app2, tokens=tokens)
        done = wait_job(portal, job_id)
        assert done["status"] == "done" and done["attempts"] == 2
        sim = client2.get(f"/api/simulations/{done['result_id']}", headers=portal.h("esa")).json()
        assert sim["summary"]["resumed_from_chunk"] == 2
        power = sim["body"]["series"]["power_w"]
        # First 20 hours come from the checkpoint, the rest were computed after the restart.
        assert len(power) == 40 and power[:20] == [1.0] * 20 and power[20] >= 10000.0


def test_a_worker_that_dies_fails_its_job_and_the_next_job_still_runs(tmp_path):
    from .conftest import STANDINS, Portal, make_portal, seed

    registry = STANDINS | {"optimise": "portal_standins:crash"}
    app, client = make_portal(f"sqlite:///{tmp_path / 'p.sqlite3'}", registry=registry)
    with client:
        portal = Portal(client=client, app=app, tokens=seed(app.state.sessions))
        post = {"headers": portal.h("planner")}
        dead = client.post("/api/jobs", json={"kind": "optimise"}, **post).json()
        failed = wait_job(portal, dead["id"])
        assert failed["status"] == "failed" and "worker process failed" in failed["error"]
        alive = client.post("/api/jobs", json={"kind": "simulate", "params": {"hours": 5}}, **post)
        assert wait_job(portal, alive.json()["id"])["status"] == "done"
