"""The portal over real sockets: ``moonbase serve`` (CLI, tokens), the server killed (SIGKILL,
SIGTERM) and restarted with a job in flight, and a tiny bounded load run (no errors, no lost
writes).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from moonbase.cli.app import main

from .conftest import LiveServer, free_port, make_portal, seed


def test_cli_creates_tokens_and_refuses_bad_input(tmp_path, capsys):
    data = tmp_path / "portal"
    args = ["serve", "--data-dir", str(data), "--create-token", "ESA", "--role", "partner_admin"]
    assert main([*args, "--entitlement", "0.2"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("mb_") and len(token) == 3 + 43  # 32 random bytes, base64url
    assert (data / "moonbase.sqlite3").is_file()
    _app, client = make_portal(f"sqlite:///{data / 'moonbase.sqlite3'}", start_jobs=False)
    with client:
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["partner_id"] == "ESA" and me["role"] == "partner_admin"
        partners = client.get("/api/partners", headers={"Authorization": f"Bearer {token}"})
        assert partners.json() == [{"id": "ESA", "name": "ESA", "entitlement": 0.2}]
    assert main(["serve", "--data-dir", str(data), "--create-token", "ESA", "--role", "boss"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("moonbase: error: role: unknown role 'boss'")
    assert main(["serve", "--data-dir", str(data), "--create-token", "bad id!"]) == 2
    assert "partner" in capsys.readouterr().err
    assert main(["serve", "--port", "0"]) == 2
    assert "--port" in capsys.readouterr().err


def _start(data, port):
    """The portal on the stand-in jobs in its own process (``portal_server.py``)."""
    with open(data / "server.log", "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("portal_server.py")),
                str(data),
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a signal to the test's group does not reach it
        )


def _wait_up(url, process, data, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((data / "server.log").read_text())
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not come up")


def _children(pid: int) -> set[int]:
    """Process ids of ``pid``'s children (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(x) for x in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _tokens(data, capsys) -> tuple[dict, dict]:
    args = ["serve", "--data-dir", str(data), "--create-token"]
    assert main([*args, "ILRS", "--role", "station_planner"]) == 0
    planner = {"Authorization": f"Bearer {capsys.readouterr().out.strip().splitlines()[-1]}"}
    assert main([*args, "CNSA"]) == 0
    member = {"Authorization": f"Bearer {capsys.readouterr().out.strip().splitlines()[-1]}"}
    return planner, member


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_mid_job_the_job_runs_once_and_resumes(tmp_path, capsys, sig):
    """Kill the server (not its process group) mid-job and mid-write: its worker dies with it,
    no acknowledged write is lost, and after a restart the job finishes from its checkpoint
    with exactly one result."""
    data = tmp_path / "portal"
    headers, member = _tokens(data, capsys)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start(data, port)
    acked: list[int] = []
    stop = threading.Event()

    def writer():  # keeps submitting requests until the server goes; records each 201
        body = {
            "title": "crash probe",
            "instrument": "X",
            "duration_h": 1,
            "power_w": 1,
            "data_gb": 0,
            "earliest": "2031-01-01",
            "latest": "2031-01-02",
        }
        with httpx.Client(base_url=url, headers=member, timeout=5) as http:
            while not stop.is_set():
                try:
                    response = http.post("/api/requests", json=body)
                except httpx.TransportError:
                    return
                if response.status_code == 201:
                    acked.append(response.json()["id"])

    thread = threading.Thread(target=writer)
    try:
        _wait_up(url, server, data)
        params = {"hours": 80, "chunks": 40, "delay_s": 0.15}  # about 6 s of work
        job = httpx.post(
            f"{url}/api/jobs", headers=headers, json={"kind": "simulate", "params": params}
        ).json()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = httpx.get(f"{url}/api/jobs/{job['id']}", headers=headers).json()
            if seen["status"] == "running" and seen["progress"] >= 0.2:
                break
            time.sleep(0.05)
        assert seen["status"] == "running", seen
        workers = _children(server.pid)
        assert workers, "the job runs in a worker process"
        thread.start()
        time.sleep(0.5)
    finally:
        server.send_signal(sig)  # the server alone, mid-job and mid-write
        try:
            server.wait(timeout=30)
        finally:
            stop.set()
            if thread.is_alive():
                thread.join(timeout=30)
    deadline = time.monotonic() + 2  # well before the job's remaining 4 s of work would end
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its server"
    with contextlib.closing(sqlite3.connect(data / "moonbase.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in db.execute("SELECT id FROM experiment_requests")}
        progress_at_kill = db.execute(
            "SELECT progress FROM jobs WHERE id = ?", (job["id"],)
        ).fetchone()[0]
    assert acked and set(acked) <= stored  # every 201 survived the kill
    server = _start(data, port)
    try:
        _wait_up(url, server, data)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = httpx.get(f"{url}/api/jobs/{job['id']}", headers=headers).json()
            if done["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.1)
        assert done["status"] == "done" and done["attempts"] == 2, done
        sim = httpx.get(f"{url}/api/simulations/{done['result_id']}", headers=headers).json()
        # It went on from the last checkpoint rather than from the start, and lost nothing.
        assert sim["summary"]["resumed_from_chunk"] >= 8  # 0.2 of 40 chunks
        assert sim["summary"]["resumed_from_chunk"] <= round(progress_at_kill * 40)
        assert len(sim["body"]["series"]["power_w"]) == 80
        time.sleep(1.0)  # were a worker of the first server alive, it would finish by now
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            os.killpg(server.pid, signal.SIGKILL)
    with contextlib.closing(sqlite3.connect(data / "moonbase.sqlite3")) as db:
        results = db.execute("SELECT id FROM results WHERE job_id = ?", (job["id"],)).fetchall()
        jobs = db.execute("SELECT status, attempts FROM jobs").fetchall()
    assert results == [(done["result_id"],)]  # exactly one result
    assert jobs == [("done", 2)]


def test_tiny_load_run_has_no_errors_and_no_lost_writes(tmp_path):
    from moonbase.server.loadtest import run_load

    app, client = make_portal(f"sqlite:///{tmp_path / 'portal.sqlite3'}", start_jobs=False)
    with client:  # migrate, then serve the same app over a socket
        tokens = seed(app.state.sessions)
    with LiveServer(app) as live:
        report = run_load(
            live.url,
            [tokens["cnsa"], tokens["ros"], tokens["esa"]],
            tokens["planner"],
            clients=8,
            duration_s=2.0,
            max_requests=400,
        )
    assert report.requests > 20 and report.errors == 0
    assert report.writes_acked > 0 and report.lost_writes == 0
    assert report.writes_found == report.writes_acked


def test_load_runs_on_loopback_only():
    from moonbase.errors import InputError
    from moonbase.server.loadtest import run_load

    with pytest.raises(InputError, match="loopback"):
        run_load("http://example.org", ["t"], "t", duration_s=1)
