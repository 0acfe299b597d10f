"""Fixtures of the portal tests: a backend (SQLite, or PostgreSQL when a server can be started),
an app with tokens for three partners and a station planner, and a live uvicorn server.

PostgreSQL: ``MOONBASE_TEST_DATABASE_URL`` (a server URL; a database per test is created on it),
else a throwaway cluster from Debian's postgresql-15 binaries on a loopback port, else skipped.
Select with ``-m postgres`` / ``-m "not postgres"``; browser tests with ``-m browser``.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from moonbase.store import create_token, ensure_partner
from moonbase.store.pgcluster import create_database, find_pg_bin, throwaway_postgres

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "out" / "test-artifacts" / "server"

# The stand-in jobs (``portal_standins``) live beside this file; worker processes inherit the path.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

#: Small job functions with the registry's signature, for tests of the job machinery.
STANDINS = {kind: f"portal_standins:{kind}" for kind in ("optimise", "simulate", "schedule")}


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: runs against a throwaway PostgreSQL server")
    config.addinivalue_line("markers", "browser: drives Debian's chromium through Playwright")


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("MOONBASE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if find_pg_bin() is None:
        pytest.skip(
            "no PostgreSQL: install Debian's postgresql-15 or set MOONBASE_TEST_DATABASE_URL"
        )
    try:
        with throwaway_postgres() as server_url:
            yield server_url
    except (OSError, RuntimeError) as error:  # pragma: no cover - depends on the machine
        pytest.skip(f"could not start a throwaway PostgreSQL cluster: {error}")


@pytest.fixture(scope="session")
def pg_database(pg_server):
    """One database for the session (creating one per test costs seconds of disk work)."""
    return create_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")


def _empty_postgres(url: str) -> None:
    """Drop every table, so the next app migrates a blank database as on a first start."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    url = request.getfixturevalue("pg_database")
    _empty_postgres(url)
    return url


@dataclass
class Portal:
    client: object
    app: object
    tokens: dict

    def h(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def sessions(self):
        return self.app.state.sessions


#: Partners and entitlements of the test station (from contributions; they sum to 1).
PARTNERS = {"CNSA": 0.5, "ROSCOSMOS": 0.3, "ESA": 0.2, "ILRS": 0.0}
PEOPLE = {
    "cnsa": ("CNSA", "member"),
    "cnsa2": ("CNSA", "member"),
    "cnsa_admin": ("CNSA", "partner_admin"),
    "ros": ("ROSCOSMOS", "member"),
    "ros_admin": ("ROSCOSMOS", "partner_admin"),
    "esa": ("ESA", "member"),
    "planner": ("ILRS", "station_planner"),
}


def seed(sessions) -> dict:
    tokens = {}
    with sessions.begin() as session:
        for partner, entitlement in PARTNERS.items():
            ensure_partner(session, partner, entitlement=entitlement)
        for name, (partner, role) in PEOPLE.items():
            tokens[name] = create_token(session, partner, role, label=name)
    return tokens


def make_portal(db_url, **settings):
    from fastapi.testclient import TestClient

    from moonbase.server import Settings, create_app

    settings.setdefault("registry", STANDINS)
    app = create_app(Settings(database_url=db_url, **settings))
    return app, TestClient(app)


@pytest.fixture
def portal(db_url):
    app, client = make_portal(db_url)
    with client:
        yield Portal(client=client, app=app, tokens=seed(app.state.sessions))


#: Parameters of a quick plan job on :func:`small_scenario` (seconds, not minutes).
QUICK_PLAN = {
    "as_of": "2030-01-01",
    "risk_runs": 20,
    "campaign_time_limit_s": 3,
    "science_time_limit_s": 3,
    "close": False,
}


def small_scenario() -> dict:
    """A small scenario document: ``moonbase scenario new --minimal``'s two partners and two
    elements, an 18-month campaign and a 1 km site search, so a plan takes seconds."""
    import tomllib
    from datetime import date

    from moonbase.scenario import Scenario
    from moonbase.scenario.toml_io import template_path

    document = tomllib.loads(template_path().read_text(encoding="utf-8"))
    document["campaign"]["end"] = date(2031, 6, 30)
    document["site"]["search_radius_km"] = 1.0
    return Scenario.model_validate(document).model_dump(mode="json")


@pytest.fixture(scope="session")
def small_terrain(tmp_path_factory) -> dict:
    """The server's site terrain for quick plans: a 12 km square of the packaged real DEM
    around the small scenario's site (60 x 60 cells at 200 m), no far field."""
    import json

    import numpy as np

    from moonbase.scenario import Scenario
    from moonbase.terrain import reference_dem
    from moonbase.terrain.projection import xy_of_latlon

    site = Scenario.model_validate_json(json.dumps(small_scenario())).site
    dem = reference_dem()
    x, y = xy_of_latlon(site.latitude_deg, site.longitude_deg)
    col = int((x - dem.x0_m) / dem.pixel_m)
    row = int((dem.y0_m - y) / dem.pixel_m)
    half = 30
    path = tmp_path_factory.mktemp("terrain") / "crop.npy"
    np.save(path, np.array(dem.elevation_m[row - half : row + half, col - half : col + half]))
    corner = [dem.x0_m + (col - half) * dem.pixel_m, dem.y0_m - (row - half) * dem.pixel_m]
    return {"dem": str(path), "corner_xy_m": corner, "pixel_m": dem.pixel_m, "far_field": False}


def wait_job(portal: Portal, job_id: int, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = portal.client.get(f"/api/jobs/{job_id}", headers=portal.h("planner")).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s: {job}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn in a thread of the test process, on a free loopback port, configured as
    ``moonbase serve`` configures it (``http`` replaces its HTTP protocol class)."""

    def __init__(self, app, http=None):
        import uvicorn

        from moonbase.server.limits import KEEP_ALIVE_S, header_timeout_protocol

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            http=http or header_timeout_protocol(),  # as `moonbase serve` serves it
            timeout_keep_alive=int(KEEP_ALIVE_S),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)
