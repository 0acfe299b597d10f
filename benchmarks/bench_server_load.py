"""Benchmark: the partner portal under load on loopback, SQLite against PostgreSQL.

Starts ``moonbase serve`` (one uvicorn process) on 127.0.0.1 for each backend, then runs
``--clients`` concurrent httpx clients for ``--duration`` seconds: three of every four calls read
``/api/plans``, one submits an experiment request. Afterwards every acknowledged request is
looked up (lost writes = 201 answers whose row is missing). The run is bounded in time and in
calls and stops by itself. PostgreSQL is a throwaway cluster from Debian's binaries (skipped
when absent) or ``MOONBASE_TEST_DATABASE_URL``. The load generator shares the machine's cores
with the server, and on a shared 2-core machine timings are noisy: compare within one run.

    python benchmarks/bench_server_load.py [--clients 50] [--duration 60] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from moonbase.server.loadtest import run_load
from moonbase.store import create_token, ensure_partner, make_engine, make_sessionmaker, migrate
from moonbase.store.pgcluster import create_database, find_pg_bin, throwaway_postgres


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


@contextlib.contextmanager
def _server(url: str, data_dir: Path):
    port = _free_port()
    env = dict(os.environ)
    if url.startswith("postgresql"):
        env["MOONBASE_DATABASE_URL"] = url
    else:
        env.pop("MOONBASE_DATABASE_URL", None)
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "moonbase.cli.app",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--jobs",
            "standin",  # the load is on the API; the plan read is a small stand-in document
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data_dir / "server.log").read_text())
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _one(backend: str, url: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="moonbase-bench-") as folder:
        data_dir = Path(folder)
        if backend == "sqlite":
            url = f"sqlite:///{data_dir / 'moonbase.sqlite3'}"
        tokens = _seed(url)
        with _server(url, data_dir) as base:
            # A plan to read: one optimise job through the API, like a planner would.
            planner = {"Authorization": f"Bearer {tokens['planner']}"}
            job = httpx.post(
                f"{base}/api/jobs",
                headers=planner,
                json={"kind": "optimise", "params": {"elements": 12}},
            ).json()
            deadline = time.monotonic() + 120
            while (
                httpx.get(f"{base}/api/jobs/{job['id']}", headers=planner).json()["status"]
                not in ("done", "failed")
                and time.monotonic() < deadline
            ):
                time.sleep(0.2)
            report = run_load(
                base,
                [tokens["CNSA"], tokens["ROSCOSMOS"], tokens["ESA"]],
                tokens["planner"],
                clients=args.clients,
                duration_s=args.duration,
                max_requests=args.max_requests,
            )
    return {"backend": backend, **report.as_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per backend")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = []
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in backends:
        if backend == "sqlite":
            rows.append(_one("sqlite", "", args))
        elif backend == "postgresql":
            server = os.environ.get("MOONBASE_TEST_DATABASE_URL")
            if server:
                rows.append(
                    _one("postgresql", create_database(server, f"b_{uuid.uuid4().hex[:8]}"), args)
                )
            elif find_pg_bin() is None:
                print("postgresql: no server binaries, skipped")
            else:
                with throwaway_postgres() as server:
                    rows.append(_one("postgresql", create_database(server, "bench"), args))
        else:
            parser.error(f"unknown backend {backend!r}: use sqlite and/or postgresql")
    head = (
        f"{'backend':<11} {'clients':>7} {'s':>6} {'calls':>7} {'calls/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'writes':>7} {'lost':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['backend']:<11} {r['clients']:>7} {r['seconds']:>6.1f} {r['requests']:>7} "
            f"{r['throughput_rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['errors']:>6} {r['writes_acked']:>7} {r['lost_writes']:>5}"
        )
    if len(rows) == 2:
        a, b = rows
        print(
            f"\nthroughput ratio {b['backend']}/{a['backend']}: "
            f"{b['throughput_rps'] / a['throughput_rps']:.2f}; p99 ratio: "
            f"{b['p99_ms'] / a['p99_ms']:.2f}"
        )
    print("(shared 2-core machine: load generator and server compete for the cores; noisy)")


if __name__ == "__main__":
    main()
