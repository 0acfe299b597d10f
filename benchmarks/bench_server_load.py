"""Benchmark: the partner portal under load on loopback, against a hello-world FastAPI baseline.

Each server is one uvicorn process on 127.0.0.1, served the same way (``moonbase serve``'s
socket, HTTP protocol and keep-alive, :func:`moonbase.cli.serve.run_portal`):

* ``baseline``: a hello-world FastAPI app with the same three routes and no database: it
  answers ``GET /api/plans`` with the same bytes moonbase answered, ``POST /api/requests``
  with an id (kept in memory), and lists the ids;
* ``sqlite`` and ``postgresql``: ``moonbase serve`` on SQLite and on PostgreSQL (a throwaway
  cluster from Debian's binaries, skipped when absent, or ``MOONBASE_TEST_DATABASE_URL``), with a
  real plan to read: the small scenario planned by a plan job through the API on a 12 km crop
  of the packaged DEM.

``--clients`` concurrent clients run for ``--duration`` seconds: three of every four calls read
``/api/plans`` with a partner's token, one submits an experiment request. Afterwards every
acknowledged request is looked up (lost writes = 201 answers whose row is missing). Reported:
throughput and p99 of each, and each backend's throughput as a ratio of the baseline's (the goal:
moonbase within 1.5x of the baseline, p99 under 1 s, at 50 clients on 2 cores). The load
generator shares the machine's cores with the server: compare within one run.

    python benchmarks/bench_server_load.py [--clients 50] [--duration 60] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from datetime import date
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response

from moonbase.server.loadtest import run_load
from moonbase.store import create_token, ensure_partner, make_engine, make_sessionmaker, migrate
from moonbase.store.pgcluster import create_database, find_pg_bin, throwaway_postgres

PLAN_PARAMS = {
    "as_of": "2030-01-01",
    "risk_runs": 20,
    "campaign_time_limit_s": 3,
    "science_time_limit_s": 3,
    "close": False,
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(url: str) -> dict[str, str]:
    engine = make_engine(url)
    migrate(engine)
    tokens = {}
    with make_sessionmaker(engine).begin() as session:
        for partner, share in (("CNSA", 0.5), ("ROSCOSMOS", 0.3), ("ESA", 0.2), ("ILRS", 0.0)):
            ensure_partner(session, partner, entitlement=share)
        for partner in ("CNSA", "ROSCOSMOS", "ESA"):
            tokens[partner] = create_token(session, partner, "member")
        tokens["planner"] = create_token(session, "ILRS", "station_planner")
    engine.dispose()
    return tokens


def _small_scenario() -> dict:
    """``moonbase scenario new --minimal``'s scenario with an 18-month campaign, 1 km search."""
    from moonbase.scenario import Scenario
    from moonbase.scenario.toml_io import template_path

    document = tomllib.loads(template_path().read_text(encoding="utf-8"))
    document["campaign"]["end"] = date(2031, 6, 30)
    document["site"]["search_radius_km"] = 1.0
    return Scenario.model_validate(document).model_dump(mode="json")


def _crop_dem(folder: Path, scenario: dict) -> list[str]:
    """``moonbase serve`` options for a 12 km crop of the packaged DEM around the site."""
    import numpy as np

    from moonbase.terrain import reference_dem
    from moonbase.terrain.projection import xy_of_latlon

    dem = reference_dem()
    x, y = xy_of_latlon(scenario["site"]["latitude_deg"], scenario["site"]["longitude_deg"])
    col, row, half = int((x - dem.x0_m) / dem.pixel_m), int((dem.y0_m - y) / dem.pixel_m), 30
    path = folder / "crop.npy"
    np.save(path, np.array(dem.elevation_m[row - half : row + half, col - half : col + half]))
    x0, y0 = dem.x0_m + (col - half) * dem.pixel_m, dem.y0_m - (row - half) * dem.pixel_m
    return [
        "--dem",
        str(path),
        "--dem-corner",
        f"{x0},{y0}",
        "--dem-pixel-m",
        str(dem.pixel_m),
        "--no-far-field",
    ]


@contextlib.contextmanager
def _process(args: list[str], env: dict, folder: Path, port: int):
    log = open(folder / "server.log", "ab")
    process = subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "server.log").read_text())
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@contextlib.contextmanager
def _profiled(pid: int, folder: Path, seconds: float, enabled: bool):
    """``py-spy record`` of the server while the load runs (when asked for and installed)."""
    import shutil

    beside = Path(sys.executable).with_name("py-spy")
    spy = str(beside) if beside.is_file() else shutil.which("py-spy")
    if not enabled or spy is None:
        yield None
        return
    out = folder / f"profile-{pid}.txt"
    record = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200"]
        + ["--format", "raw", "--output", str(out), "--nonblocking", "--threads"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield out
    finally:
        record.wait(timeout=seconds + 60)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) that process ``pid`` has used (Linux /proc; else 0)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _where_time_goes(path: Path | None, top: int = 12) -> list[str]:
    """The functions most often on the server's stacks (self time and inclusive), from py-spy's
    collapsed stacks."""
    if path is None or not path.is_file():
        return []
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("thread ")]
        total += n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        if frames:
            leaf[frames[-1]] = leaf.get(frames[-1], 0) + n
    rows = [f"  {total} samples; inclusive (function (file:line)):"]
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        rows.append(f"  {100 * n / total:5.1f}%  {frame[:150]}")
    rows.append("  self:")
    for frame, n in sorted(leaf.items(), key=lambda kv: -kv[1])[:top]:
        rows.append(f"  {100 * n / total:5.1f}%  {frame[:150]}")
    return rows


def _moonbase(backend: str, url: str, args, plans: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="moonbase-bench-") as name:
        folder = Path(name)
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'moonbase.sqlite3'}"
        tokens = _seed(url)
        env = dict(os.environ)
        if backend == "postgresql":
            env["MOONBASE_DATABASE_URL"] = url
        else:
            env.pop("MOONBASE_DATABASE_URL", None)
        scenario = _small_scenario()
        port = _free_port()
        command = [sys.executable, "-m", "moonbase.cli.app", "serve", "--data-dir", str(folder)]
        command += ["--port", str(port), *_crop_dem(folder, scenario)]
        with _process(command, env, folder, port) as (base, pid):
            planner = {"Authorization": f"Bearer {tokens['planner']}"}
            made = httpx.post(
                f"{base}/api/scenarios",
                headers=planner,
                json={"name": "small", "body": scenario},
            ).json()
            job = httpx.post(
                f"{base}/api/jobs",
                headers=planner,
                json={"kind": "optimise", "scenario_id": made["id"], "params": PLAN_PARAMS},
            ).json()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                status = httpx.get(f"{base}/api/jobs/{job['id']}", headers=planner).json()
                if status["status"] in ("done", "failed", "cancelled"):
                    break
                time.sleep(0.5)
            if status["status"] != "done":
                raise RuntimeError(f"the plan job did not finish: {status}")
            member = {"Authorization": f"Bearer {tokens['CNSA']}"}
            plans["body"] = httpx.get(f"{base}/api/plans", headers=member).content
            cpu0 = _cpu_s(pid)
            with _profiled(pid, args.profile_dir or folder, args.duration, args.profile) as profile:
                report = run_load(
                    base,
                    [tokens["CNSA"], tokens["ROSCOSMOS"], tokens["ESA"]],
                    tokens["planner"],
                    clients=args.clients,
                    duration_s=args.duration,
                    max_requests=args.max_requests,
                )
            cpu = _cpu_s(pid) - cpu0
        return {
            "backend": backend,
            **report.as_dict(),
            "server_cpu_s": cpu,
            "profile": _where_time_goes(profile),
        }


def _baseline(args, plans: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="moonbase-bench-") as name:
        folder = Path(name)
        payload = folder / "plans.json"
        payload.write_bytes(plans.get("body") or b"[]")
        port = _free_port()
        command = [sys.executable, __file__, "--serve-baseline", str(port), str(payload)]
        with _process(command, dict(os.environ), folder, port) as (base, pid):
            cpu0 = _cpu_s(pid)
            with _profiled(pid, args.profile_dir or folder, args.duration, args.profile) as profile:
                report = run_load(
                    base,
                    ["a", "b", "c"],
                    "planner",
                    clients=args.clients,
                    duration_s=args.duration,
                    max_requests=args.max_requests,
                )
            cpu = _cpu_s(pid) - cpu0
        return {
            "backend": "baseline",
            **report.as_dict(),
            "server_cpu_s": cpu,
            "profile": _where_time_goes(profile),
        }


def serve_baseline(port: int, payload: Path) -> None:
    """The hello-world FastAPI app, served as ``moonbase serve`` serves the portal."""
    from moonbase.cli.serve import bind, run_portal

    plans = payload.read_bytes()
    ids: list[int] = []
    app = FastAPI()

    @app.get("/api/health")
    def health():
        return {"status": "ok"}

    @app.get("/api/plans")
    def list_plans():
        return Response(plans, media_type="application/json")

    @app.post("/api/requests", status_code=201)
    async def post_request(request: Request):
        body = await request.json()
        ids.append(len(ids) + 1)
        return {"id": ids[-1], "title": body.get("title")}

    @app.get("/api/requests")
    def list_requests(limit: int = 500, offset: int = 0):
        return [{"id": i} for i in ids[offset : offset + limit]]

    run_portal(app, bind("127.0.0.1", port))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-baseline":
        serve_baseline(int(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per server")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--profile", action="store_true", help="record each server with py-spy (if installed)"
    )
    parser.add_argument("--profile-dir", type=Path, help="keep py-spy's raw profiles here")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows = []
    plans: dict = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "sqlite":
            rows.append(_moonbase("sqlite", "", args, plans))
        elif backend == "postgresql":
            server = os.environ.get("MOONBASE_TEST_DATABASE_URL")
            if server:
                database = create_database(server, f"b_{uuid.uuid4().hex[:8]}")
                rows.append(_moonbase("postgresql", database, args, plans))
            elif find_pg_bin() is None:
                print("postgresql: no server binaries, skipped")
            else:
                with throwaway_postgres() as server:
                    database = create_database(server, "bench")
                    rows.append(_moonbase("postgresql", database, args, plans))
        else:
            parser.error(f"unknown backend {backend!r}: use sqlite and/or postgresql")
    base = _baseline(args, plans)
    head = (
        f"{'server':<11} {'clients':>7} {'s':>6} {'calls':>7} {'calls/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'writes':>7} {'lost':>5} {'baseline/it':>11} "
        f"{'cpu ms/call':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in [base, *rows]:
        ratio = base["throughput_rps"] / r["throughput_rps"] if r["throughput_rps"] else 0.0
        print(
            f"{r['backend']:<11} {r['clients']:>7} {r['seconds']:>6.1f} {r['requests']:>7} "
            f"{r['throughput_rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['errors']:>6} {r['writes_acked']:>7} {r['lost_writes']:>5} {ratio:>11.2f} "
            f"{1000 * r['server_cpu_s'] / max(r['requests'], 1):>11.2f}"
        )
    print("\ngoal: baseline/it <= 1.5 and p99 < 1000 ms at 50 clients, 3 reads per write, 2 cores")
    print("(the load generator and the server share the machine's cores; compare within one run;")
    print(" cpu ms/call: the server process's CPU time per call, including the job runner)")
    for r in [base, *rows]:
        if r["profile"]:
            print(f"\nwhere {r['backend']}'s time goes (py-spy):")
            print("\n".join(r["profile"]))
    if args.json:
        args.json.write_text(json.dumps([base, *rows], indent=1))


if __name__ == "__main__":
    main()
