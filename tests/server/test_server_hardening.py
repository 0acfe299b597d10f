"""The portal under attack and under mistakes: the token role ladder, expiry and throttling;
bounded inputs and JSON errors of one shape (5xx included) on a connection that stays usable;
non-finite numbers refused on both databases; a corrupt row that hides no other; a no-op patch;
downloads as attachments; half-open connections closed; startup mistakes as one line, exit 2;
exactly-once writes of job workers (the fence).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from moonbase.cli.app import main
from moonbase.store import Job, Result, Token

from .conftest import REPO, LiveServer, free_port, make_portal, seed
from .test_server_api import REQUEST, post_request

# ---- 2. tokens: role ladder, expiry, revocation listed, throttling -------------------------------


def _token_id(portal, who: str) -> int:
    with portal.sessions()() as session:
        return session.scalars(
            text("SELECT id FROM tokens WHERE label = :label").bindparams(label=who)
        ).one()


def test_partner_admins_cannot_revoke_station_planner_tokens(portal):
    c, h = portal.client, portal.h
    # A station planner who works for CNSA: a CNSA partner admin must not revoke that token.
    made = c.post(
        "/api/tokens",
        headers=h("planner"),
        json={"partner_id": "CNSA", "role": "station_planner", "label": "cnsa planner"},
    )
    assert made.status_code == 201, made.text
    planner_cnsa = made.json()
    denied = c.delete(f"/api/tokens/{planner_cnsa['id']}", headers=h("cnsa_admin"))
    assert denied.status_code == 403 and "station_planner" in denied.json()["message"]
    # Another partner's admin does not even see it; nor the ILRS planner's token.
    assert c.delete(f"/api/tokens/{planner_cnsa['id']}", headers=h("ros_admin")).status_code == 404
    ilrs = _token_id(portal, "planner")
    assert c.delete(f"/api/tokens/{ilrs}", headers=h("cnsa_admin")).status_code == 404
    for token in (planner_cnsa["token"], portal.tokens["planner"]):
        me = c.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "station_planner"
    # Members manage no tokens; admins manage their own partner's members and admins.
    member = _token_id(portal, "cnsa2")
    assert c.delete(f"/api/tokens/{member}", headers=h("cnsa")).status_code == 403
    revoked = c.delete(f"/api/tokens/{member}", headers=h("cnsa_admin"))
    assert revoked.status_code == 200
    # The revocation is listed: when, and by which token.
    listed = {t["id"]: t for t in c.get("/api/tokens", headers=h("cnsa_admin")).json()}
    entry = listed[member]
    assert entry["revoked"] is True and entry["revoked_by"] == _token_id(portal, "cnsa_admin")
    at = datetime.fromisoformat(entry["revoked_at"])
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
    assert c.delete(f"/api/tokens/{member}", headers=h("cnsa_admin")).status_code == 409
    assert c.get("/api/me", headers=h("cnsa2")).status_code == 401


def test_tokens_expire_within_the_planners_policy(portal):
    c, h = portal.client, portal.h
    assert c.get("/api/token-policy", headers=h("cnsa_admin")).json() == {
        "default_days": 90,
        "max_days": 365,
    }
    policy = {"default_days": 30, "max_days": 60}
    assert c.put("/api/token-policy", headers=h("cnsa_admin"), json=policy).status_code == 403
    assert c.put("/api/token-policy", headers=h("planner"), json=policy).json() == policy
    bad = c.put("/api/token-policy", headers=h("planner"), json={"default_days": 9, "max_days": 5})
    assert bad.status_code == 422
    made = c.post("/api/tokens", headers=h("cnsa_admin"), json={"label": "default life"}).json()
    life = datetime.fromisoformat(made["expires_at"]) - datetime.fromisoformat(made["created_at"])
    assert life == timedelta(days=30)
    longest = c.post("/api/tokens", headers=h("cnsa_admin"), json={"expires_in_days": 60})
    assert longest.status_code == 201
    too_long = c.post("/api/tokens", headers=h("cnsa_admin"), json={"expires_in_days": 61})
    assert too_long.status_code == 422 and "60 days" in too_long.json()["message"]
    # Once its time has passed, the token is refused like an unknown one.
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert c.get("/api/me", headers=headers).status_code == 200
    with portal.sessions().begin() as session:
        session.execute(
            update(Token)
            .where(Token.id == made["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    portal.app.state.tokens.drop(made["id"])  # as after the token cache's few seconds
    expired = c.get("/api/me", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["message"]


def test_wrong_tokens_are_throttled_per_address(tmp_path):
    app, client = make_portal(f"sqlite:///{tmp_path / 'p.sqlite3'}", start_jobs=False)
    with client:
        tokens = seed(app.state.sessions)
        codes = []
        for i in range(25):
            response = client.get("/api/me", headers={"Authorization": f"Bearer mb_guess{i}"})
            codes.append(response.status_code)
        assert codes == [401] * 20 + [429] * 5  # 20 wrong tokens a minute, then throttled
        wait_s = int(response.headers["Retry-After"])
        assert 1 <= wait_s <= 60 and "too many wrong tokens" in response.json()["message"]
        # While throttled, the address gets no answer about any token, right or wrong.
        good = client.get("/api/me", headers={"Authorization": f"Bearer {tokens['cnsa']}"})
        assert good.status_code == 429
        # Another address is not held back (the throttle is per client address).
        throttle = app.state.throttle
        assert throttle.retry_after("testclient") > 0 and throttle.retry_after("10.0.0.9") == 0


# ---- 3. bounded inputs; JSON errors of one shape on a connection that stays open ----------------


def _http(sock: socket.socket, request: bytes) -> tuple[int, dict, bytes]:
    """Send one HTTP/1.1 request on ``sock``; read one response (Content-Length framed)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed by the server"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 2**31, 10**30])
def test_offset_is_bounded_and_the_connection_survives(db_url, offset):
    app, client = make_portal(db_url, start_jobs=False)
    with client:
        tokens = seed(app.state.sessions)
    auth = f"Authorization: Bearer {tokens['planner']}\r\n".encode()
    with LiveServer(app) as live, socket.create_connection(("127.0.0.1", live.port)) as sock:
        get = b"GET /api/requests?offset=%d HTTP/1.1\r\nHost: x\r\n" % offset + auth + b"\r\n"
        status, headers, body = _http(sock, get)
        assert status == 422 and headers["content-type"] == "application/json"
        error = json.loads(body)
        assert error["message"].startswith("offset:") and error["detail"][0]["loc"]
        # The same keep-alive connection answers the next request.
        status, _, body = _http(sock, b"GET /api/requests HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n")
        assert status == 200 and json.loads(body) == []


def test_an_unexpected_error_is_a_json_500_and_the_connection_survives(tmp_path, monkeypatch):
    import moonbase.server.app as portal_app

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    app, client = make_portal(f"sqlite:///{tmp_path / 'p.sqlite3'}", start_jobs=False)
    with client:
        tokens = seed(app.state.sessions)
    monkeypatch.setattr(portal_app, "is_embargoed", broken)
    auth = f"Authorization: Bearer {tokens['cnsa']}\r\n".encode()
    with LiveServer(app) as live, socket.create_connection(("127.0.0.1", live.port)) as sock:
        status, headers, body = _http(
            sock, b"GET /api/products HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n"
        )
        assert status == 200  # nothing listed, nothing broken
        made = json.dumps({"name": "x"}).encode()
        post = b"POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        admin = f"Authorization: Bearer {tokens['cnsa_admin']}\r\n".encode()
        request = post + admin + b"Content-Length: %d\r\n\r\n" % len(made) + made
        status, headers, body = _http(sock, request)
        assert status == 500 and headers["content-type"] == "application/json"
        error = json.loads(body)
        assert "internal error" in error["message"] and error["detail"][0]["type"] == "server_error"
        assert headers["x-content-type-options"] == "nosniff"
        status, _, _ = _http(sock, b"GET /api/me HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n")
        assert status == 200


# ---- 4. non-finite numbers in free-form JSON: refused alike on both databases ------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_on_both_databases(portal, number):
    h = {**portal.h("planner"), "Content-Type": "application/json"}
    job = f'{{"kind": "optimise", "params": {{"time_limit_s": {number}}}}}'.encode()
    response = portal.client.post("/api/jobs", content=job, headers=h)
    assert response.status_code == 422, response.text
    assert "finite" in response.json()["message"]
    scenario = f'{{"name": "x", "body": {{"a": [1, {number}]}}}}'.encode()
    response = portal.client.post("/api/scenarios", content=scenario, headers=h)
    assert response.status_code == 422 and "finite" in response.json()["message"]
    request = json.dumps(REQUEST).replace('"power_w": 60.0', f'"power_w": {number}').encode()
    response = portal.client.post("/api/requests", content=request, headers=h)
    assert response.status_code == 422 and response.json()["message"].startswith("power_w")
    assert portal.client.get("/api/jobs", headers=portal.h("planner")).json() == []


# ---- 5. startup mistakes: one line, exit status 2 ------------------------------------------------


def _serve_fails(capsys, args, *words) -> None:
    assert main(["serve", *args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("moonbase: error: "), captured.err
    for word in words:
        assert word in lines[0], lines[0]


def test_startup_mistakes_are_one_line_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MOONBASE_DATABASE_URL", raising=False)
    port = str(free_port())
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    _serve_fails(capsys, ["--data-dir", str(a_file), "--port", port], "--data-dir", "is a file")

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "moonbase.sqlite3").write_bytes(bytes(range(256)) * 64)
    _serve_fails(capsys, ["--data-dir", str(corrupt), "--port", port], "--data-dir", "not a")

    good = tmp_path / "good"
    assert main(["serve", "--data-dir", str(good), "--create-token", "CNSA"]) == 0
    capsys.readouterr()
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    whole = (good / "moonbase.sqlite3").read_bytes()
    (truncated / "moonbase.sqlite3").write_bytes(whole[: len(whole) // 3])
    _serve_fails(capsys, ["--data-dir", str(truncated), "--port", port], "--data-dir")

    for url in ("nosuchdb://x", "this is not a url"):
        monkeypatch.setenv("MOONBASE_DATABASE_URL", url)
        _serve_fails(capsys, ["--port", port], "MOONBASE_DATABASE_URL", "database URL")
    nobody = f"postgresql://moonbase:secret@127.0.0.1:{free_port()}/moonbase"
    monkeypatch.setenv("MOONBASE_DATABASE_URL", nobody)
    _serve_fails(capsys, ["--port", port], "MOONBASE_DATABASE_URL", "cannot reach")
    monkeypatch.delenv("MOONBASE_DATABASE_URL")
    assert "secret" not in capsys.readouterr().err

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = str(busy.getsockname()[1])
        _serve_fails(capsys, ["--data-dir", str(good), "--port", taken], "--port", "in use")


# ---- 6. weaker points ---------------------------------------------------------------------------


def test_product_content_is_a_download_never_rendered(portal):
    c, h = portal.client, portal.h
    body = {
        "name": 'résumé "final".html',
        "media_type": "text/html",
        "content": "<script>alert(1)</script>",
    }
    made = c.post("/api/products", headers=h("cnsa_admin"), json=body).json()
    response = c.get(f"/api/products/{made['id']}/content", headers=h("cnsa"))
    assert response.status_code == 200 and response.text == body["content"]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ _final_.html"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.html" in disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_half_open_connections_are_closed(tmp_path):
    from moonbase.server.limits import header_timeout_protocol

    app, client = make_portal(f"sqlite:///{tmp_path / 'p.sqlite3'}", start_jobs=False)
    with client:
        seed(app.state.sessions)
    quick = type("Quick", (header_timeout_protocol(),), {"header_timeout_s": 1.0})
    with LiveServer(app, http=quick) as live:
        opened = []
        for i in range(60):
            sock = socket.create_connection(("127.0.0.1", live.port))
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n" if i % 2 else b"GE")
            opened.append(sock)
        time.sleep(2.0)
        closed = 0
        for sock in opened:
            sock.settimeout(2.0)
            with contextlib.suppress(ConnectionResetError):
                closed += sock.recv(1) == b""
            sock.close()
        assert closed == len(opened)
        # A whole request on a fresh connection is still served.
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            status, _, _ = _http(sock, b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status == 200


def test_a_corrupt_row_is_reported_without_hiding_the_others(portal):
    c, h = portal.client, portal.h
    kept = post_request(portal, "cnsa")
    broken = post_request(portal, "cnsa", title="to be broken")
    # A stored token role outside the ladder (either database), and a row the database can
    # hold but not hand back (SQLite: a date that is not a date, JSON that is not JSON).
    with portal.sessions().begin() as session:
        session.execute(text("UPDATE tokens SET role = 'emperor' WHERE label = 'cnsa2'"))
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text("UPDATE experiment_requests SET earliest = 'garbage' WHERE id = :i"),
                {"i": broken["id"]},
            )
    tokens = c.get("/api/tokens", headers=h("cnsa_admin"))
    assert tokens.status_code == 200 and len(tokens.json()) == 2
    assert tokens.headers["x-unreadable-rows"] == f"tokens {_token_id(portal, 'cnsa2')}"
    if portal.sessions()().get_bind().dialect.name == "sqlite":
        listed = c.get("/api/requests", headers=h("cnsa"))
        assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [kept["id"]]
        assert listed.headers["x-unreadable-rows"] == f"experiment_requests {broken['id']}"
        single = c.get(f"/api/requests/{broken['id']}", headers=h("cnsa"))
        assert single.status_code == 500 and "internal error" in single.json()["message"]


def test_an_empty_or_unchanged_patch_keeps_the_schedule(portal):
    c, h = portal.client, portal.h
    made = post_request(portal, "cnsa")
    start = datetime(2031, 3, 2, 6, tzinfo=UTC)
    with portal.sessions().begin() as session:
        session.execute(
            text(
                "UPDATE experiment_requests SET status = 'scheduled', scheduled_start = :t "
                "WHERE id = :i"
            ),
            {"t": start, "i": made["id"]},
        )
    url = f"/api/requests/{made['id']}"
    for body in ({}, {"priority": made["priority"], "title": made["title"]}):
        row = c.patch(url, headers=h("cnsa"), json=body).json()
        assert row["status"] == "scheduled", body
        assert datetime.fromisoformat(row["scheduled_start"]) == start
    changed = c.patch(url, headers=h("cnsa"), json={"priority": 1}).json()
    assert changed["status"] == "validated" and changed["scheduled_start"] is None


def test_readme_states_the_portals_scoping(portal):
    """Scenarios, plans and simulations are the station's (every partner reads them); the
    partner-owned rows are scoped; the README says so, and the API does it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Partner portal", 1)[1].split("\n### ", 1)[0]
    assert "every query is scoped by partner" not in section
    assert "scenarios, plans and simulations are the station's" in " ".join(section.split())
    c, h = portal.client, portal.h
    scenario = c.post("/api/scenarios", headers=h("planner"), json={"name": "s", "body": {"x": 1}})
    if scenario.status_code == 201:  # the library's model may refuse this stub: read a list then
        for who in ("cnsa", "ros", "esa"):
            assert (
                c.get(f"/api/scenarios/{scenario.json()['id']}", headers=h(who)).status_code == 200
            )
    with portal.sessions().begin() as session:
        session.add(Result(kind="plan", summary={"n": 1}, body={}))
        session.add(Result(kind="simulation", summary={"n": 2}, body={}))
    for who in ("cnsa", "ros", "esa", "cnsa_admin"):
        assert len(c.get("/api/plans", headers=h(who)).json()) == 1
        assert len(c.get("/api/simulations", headers=h(who)).json()) == 1
    post_request(portal, "ros")
    assert c.get("/api/requests", headers=h("cnsa")).json() == []
    job = c.post("/api/jobs", headers=h("planner"), json={"kind": "simulate", "params": {}})
    assert c.get(f"/api/jobs/{job.json()['id']}", headers=h("cnsa")).status_code == 404


# ---- 1. exactly once: the fence on a job's attempt ----------------------------------------------


def test_a_worker_whose_attempt_is_over_writes_nothing(db_url):
    from moonbase.server.jobs import JobCancelled, _Progress, store_result

    app, client = make_portal(db_url, start_jobs=False)
    with client:
        seed(app.state.sessions)
        sessions = app.state.sessions
        with sessions.begin() as session:
            # Attempt 1 was orphaned; the restarted server's attempt 2 now owns the job.
            job = Job(
                partner_id="ILRS",
                kind="simulate",
                params={},
                status="running",
                progress=0.3,
                message="attempt 2",
                cancel_requested=False,
                attempts=2,
            )
            session.add(job)
            session.flush()
            job_id = job.id
        with pytest.raises(JobCancelled):
            _Progress(sessions, job_id, attempt=1)(0.9, "stale", {"chunk": 9})
        assert store_result(sessions, job_id, 1, {"summary": {}, "stale": True}) is None
        with sessions() as session:
            row = session.get(Job, job_id)
            assert (row.status, row.progress, row.checkpoint) == ("running", 0.3, None)
            assert session.scalars(text("SELECT count(*) FROM results")).one() == 0
        # The owner writes; its result is the job's one result.
        _Progress(sessions, job_id, attempt=2)(0.95, "owner", {"chunk": 1})
        result_id = store_result(sessions, job_id, 2, {"summary": {"x": float("nan")}})
        assert result_id is not None
        assert store_result(sessions, job_id, 2, {"summary": {}}) is None  # done: once only
        with sessions() as session:
            assert session.get(Job, job_id).result_id == result_id
            assert session.get(Result, result_id).summary == {"x": None}  # NaN stored as null


def test_the_database_holds_one_result_per_job(db_url):
    from sqlalchemy.exc import IntegrityError

    app, client = make_portal(db_url, start_jobs=False)
    with client:
        seed(app.state.sessions)
        with app.state.sessions.begin() as session:
            job = Job(partner_id="ILRS", kind="simulate", params={}, status="done")
            session.add(job)
            session.flush()
            session.add(Result(kind="simulation", job_id=job.id, summary={}, body={}))
        with pytest.raises(IntegrityError), app.state.sessions.begin() as session:
            session.add(Result(kind="simulation", job_id=job.id, summary={}, body={}))


def test_migration_detaches_a_second_result_of_a_job(tmp_path):
    """A database from before the fence may hold two results of one job: the upgrade keeps the
    one the job points to and detaches the other, losing neither."""
    from moonbase.store import make_engine, migrate

    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    from alembic import command
    from alembic.config import Config

    from moonbase.store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    now = datetime.now(UTC).isoformat()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO partners VALUES ('ILRS', 'ILRS', 0, ?)", (now,))
        db.execute(
            "INSERT INTO tokens (partner_id, role, label, token_hash, prefix, revoked, created_at)"
            " VALUES ('ILRS', 'member', '', 'h', 'p', 0, ?)",
            (now,),
        )
        db.execute(
            "INSERT INTO jobs (id, partner_id, kind, params, status, progress, message, "
            "cancel_requested, attempts, result_id, created_at, updated_at) VALUES "
            "(1, 'ILRS', 'simulate', '{}', 'done', 1, 'done', 0, 2, 2, ?, ?)",
            (now, now),
        )
        for rid in (1, 2):
            db.execute(
                "INSERT INTO results (id, kind, job_id, summary, body, created_at) VALUES "
                "(?, 'simulation', 1, '{}', '{}', ?)",
                (rid, now),
            )
    assert migrate(engine) == "0003"
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT id, job_id FROM results ORDER BY id").fetchall() == [
            (1, None),
            (2, 1),
        ]
        expires = db.execute("SELECT expires_at FROM tokens").fetchone()[0]
    assert datetime.fromisoformat(expires).replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(
        days=89
    )
    engine.dispose()
