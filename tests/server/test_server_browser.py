"""The dashboard in a real browser: Playwright's Python API driving Debian's chromium.

A partner member signs in with a token, sees the campaign plan (Gantt), the site map, the power
series and the shares chart drawn by plotly.js served from the app, submits a request that the
API refuses (message shown beside the form), fixes it and sees it validated; a station planner
runs the scheduler from the dashboard; the member then sees the request scheduled. Screenshots
go to ``out/test-artifacts/server/``.

Needs ``pip install playwright`` (no ``playwright install``: no browser download) and Debian's
``chromium`` (``apt-get install -y chromium``); skipped with the reason otherwise.
"""

from __future__ import annotations

import shutil
import time

import pytest

from .conftest import ARTIFACTS, LiveServer, make_portal, seed

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _finish(client, headers, job_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(job)


def test_sign_in_view_plan_submit_request_and_see_it_scheduled(browser, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app, client = make_portal(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    with client:
        tokens = seed(app.state.sessions)
        planner = {"Authorization": f"Bearer {tokens['planner']}"}
        for kind, params in (("optimise", {"elements": 5}), ("simulate", {"hours": 240})):
            job = client.post("/api/jobs", headers=planner, json={"kind": kind, "params": params})
            assert _finish(client, planner, job.json()["id"])["status"] == "done"
        with LiveServer(app) as live:
            member = browser.new_context(viewport={"width": 1280, "height": 1600})
            page = member.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{live.url}/")

            # A wrong token is refused with the API's message.
            page.fill("#token", "mb_wrong")
            page.click("#login")
            page.wait_for_selector("#login-error:has-text('unknown, revoked or expired token')")

            page.fill("#token", tokens["cnsa"])
            page.click("#login")
            page.wait_for_selector("#who:has-text('CNSA (member)')")
            page.wait_for_selector("#plan-gantt .main-svg")
            page.wait_for_selector("#site-map .main-svg")
            page.wait_for_selector("#power-series .main-svg")
            page.wait_for_selector("#shares .main-svg")
            assert "5 flights" in page.inner_text("#plan-summary")
            assert page.locator("#plan-gantt .bars path").count() == 5
            page.screenshot(path=str(ARTIFACTS / "1-plan.png"), full_page=True)

            form = "#request-form"
            page.fill(f"{form} [name=title]", "Far-side radio background")
            page.fill(f"{form} [name=instrument]", "LF-RADIO")
            page.fill(f"{form} [name=duration_h]", "72")
            page.fill(f"{form} [name=power_w]", "45")
            page.fill(f"{form} [name=data_gb]", "12")
            page.fill(f"{form} [name=earliest]", "2031-04-10")
            page.fill(f"{form} [name=latest]", "2031-04-01")
            page.click("#submit-request")
            page.wait_for_selector("#form-messages li.error:has-text('before earliest')")
            page.screenshot(path=str(ARTIFACTS / "2-validation.png"), full_page=True)

            page.fill(f"{form} [name=latest]", "2031-04-30")
            page.click("#submit-request")
            page.wait_for_selector("#form-messages li.ok:has-text('validated')")
            row = page.locator("#requests-table tbody tr").first
            assert row.get_attribute("data-status") == "validated"
            page.screenshot(path=str(ARTIFACTS / "3-validated.png"), full_page=True)
            assert not page.is_visible("#run-schedule")  # members cannot run the scheduler

            boss_context = browser.new_context(viewport={"width": 1280, "height": 1600})
            boss = boss_context.new_page()
            boss.goto(f"{live.url}/")
            boss.fill("#token", tokens["planner"])
            boss.click("#login")
            boss.click("#run-schedule")
            boss.wait_for_selector("#job-status:has-text(': done')", timeout=60_000)
            boss.wait_for_selector("#requests-table tr[data-status=scheduled]")
            boss_context.close()

            page.click("#refresh")
            page.wait_for_selector("#requests-table tr[data-status=scheduled]")
            text = page.inner_text("#requests-table tbody")
            assert "Far-side radio background" in text and "2031-04-10T00:00:00" in text
            page.screenshot(path=str(ARTIFACTS / "4-scheduled.png"), full_page=True)
            member.close()
            assert errors == []
    for name in ("1-plan", "2-validation", "3-validated", "4-scheduled"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
