"""Partner what-if on the tiny station, a base with an orbit node beside it, and the comparison
page in a real browser.

Partner C (the reactor) withdraws, partner D joins with money and an experiment; each is planned
against the unchanged base, and the numbers are checked by hand: the entitlements from the
contributions' values, and the storage the station needs at night once the reactor is gone. The
variant with a node counts both stations, and the node's mass follows the rocket equation.
"""

from __future__ import annotations

import json
import math
import shutil

import pytest

from moonbase.study import load_study, run_study, write_study

BODY = """
[[variants]]
name = "with-node"
station = "both"
orbit = { name = "LLO node", family = "llo", altitude_km = 100.0, inclination_deg = 90.0 }

[[variants.add_elements]]
id = "NODE-1"
name = "Node module"
partner = "B"
role = "research"
location = "node"
mass_tli_kg = 3000.0
power_produced_w = 3000.0
energy_storage_wh = 5000.0
power_consumed_operating_w = 500.0
power_consumed_survival_w = 200.0
downlink_rate_mbps = 10.0
data_buffer_gbit = 100.0
provides = ["research"]
earliest_launch = 2030-01-01
provenance = "notional"
source = "test"

[[variants.add_experiments]]
id = "NODE-OBS"
partner = "B"
category = "lunar_based_observation"
duration_h = 24.0
power_w = 100.0
data_volume_gbit = 1.0
requires = ["NODE-1"]
repeats = 10
repeat_gap_h = 48.0

[what_if]
baseline = "as-planned"

[[what_if.withdraw]]
partner = "C"

[[what_if.join]]
[what_if.join.partner]
id = "D"
name = "Country D"
agency = "Agency D"
capability_class = "ground_data"

[[what_if.join.partner.contributions]]
level = "funding"
description = "Money for operations"
value_musd = 250.0

[[what_if.join.partner.contributions]]
level = "ground"
description = "A ground station"

[[what_if.join.experiments]]
id = "D-DUST"
partner = "D"
category = "basic_science"
duration_h = 24.0
power_w = 100.0
data_volume_gbit = 1.0
requires = ["LAB-1"]
repeats = 10
repeat_gap_h = 48.0
"""


@pytest.fixture(scope="module")
def what_if(tmp_path_factory):
    from .conftest import study_text

    folder = tmp_path_factory.mktemp("what-if")
    path = folder / "study.toml"
    path.write_text(study_text(BODY), encoding="utf-8")
    study = load_study(path)
    result = run_study(study, folder / "out", workers=0, cache=folder / "cache")
    paths = write_study(result)
    return result, json.loads(paths["json"].read_text()), paths


def test_what_ifs_run_against_the_baseline(what_if):
    result, data, _ = what_if
    names = [o.name for o in result.outcomes]
    assert names == ["as-planned", "with-node", "withdraw-C", "join-D"]
    assert all(o.ok for o in result.outcomes), [o.failure for o in result.outcomes]
    assert [(w["variant"], w["baseline"]) for w in data["what_if"]] == [
        ("withdraw-C", "as-planned"),
        ("join-D", "as-planned"),
    ]
    # every partner has its row in each comparison; D only after it joins
    withdraw, join = data["what_if"]
    assert list(withdraw["partners"]) == ["A", "B", "C"]
    assert list(join["partners"]) == ["A", "B", "C", "D"]
    assert join["partners"]["D"]["entitlement_percent"]["before"] is None


def test_joining_with_money_shifts_entitlements_by_the_values(what_if):
    _, data, _ = what_if
    partners = data["what_if"][1]["partners"]
    # by hand: contributions A 300, B 100, C 100 M$; D joins with V = 250 M$ (and a ground
    # station without a value): D gets V / (500 + V) = 1/3, A 300 / 750 = 40 %.
    entitlement = {p: row["entitlement_percent"] for p, row in partners.items()}
    assert entitlement["D"]["after"] == pytest.approx(100 * 250 / 750)
    assert entitlement["A"]["before"] == pytest.approx(60.0)
    assert entitlement["A"]["after"] == pytest.approx(40.0)
    assert entitlement["B"]["change"] == pytest.approx(100 / 750 * 100 - 20.0)
    # D's experiment is scheduled: it now has runs and a delivered share
    assert partners["D"]["runs"]["after"] > 0 and partners["D"]["delivered_percent"]["after"] > 0


def test_withdrawing_the_reactor_partner_changes_survival_and_everyones_science(what_if):
    result, data, _ = what_if
    item = data["what_if"][0]
    partners, station = item["partners"], item["station"]
    # by hand: C's 100 M$ reactor leaves with C; A 300 and B 100 of 400 M$
    assert partners["A"]["entitlement_percent"]["after"] == pytest.approx(75.0)
    assert partners["B"]["entitlement_percent"]["after"] == pytest.approx(25.0)
    assert partners["C"]["entitlement_percent"]["after"] == pytest.approx(0.0)
    assert partners["C"]["runs"]["after"] == 0 and partners["C"]["elements"]["after"] == 0
    assert station["science_value"]["after"] < station["science_value"]["before"]
    # Survival: with the 5 kW reactor the nights' 800 W of survival loads need no storage. Without
    # it, the 20 kWh battery must be grown to carry the 700 W left (the power lander's 300 W and
    # the lab's 400 W) through the longest darkness: the closure adds at least that energy.
    summary = json.loads((result.out / "variants" / "withdraw-C" / "summary.json").read_text())
    dark_h = summary["site"]["longest_dark_hours"]
    added_wh = sum(fix.get("added_wh") or 0.0 for fix in summary["closure"]["fixes"])
    assert summary["closure"]["closed"]
    assert added_wh >= 700.0 * dark_h - 20_000.0 > 0
    assert station["landed_mass_kg"]["after"] > station["landed_mass_kg"]["before"] - 1500.0
    # ... and the station's storage arrives on later flights: the basic model waits for it
    assert station["basic_model_operating"]["change"] >= 0


def test_a_base_with_a_node_counts_both_stations(what_if):
    result, _, _ = what_if
    figures = result.outcome("with-node").figures
    summary = json.loads((result.out / "variants" / "with-node" / "summary.json").read_text())
    node = summary["orbit"]["station"]
    assert figures["stations"] == ["site", "node"]
    assert figures["science_value"] == summary["science"]["value"] + node["science"]["value"]
    assert node["science"]["runs"] == 10  # the node's own experiment, on the node
    margins = (
        summary["systems"]["min_survival_margin_h"],
        node["systems"]["min_survival_margin_h"],
    )
    assert figures["min_survival_margin_h"] == min(margins)
    # by hand: the rocket equation for the insertion into the node's orbit at 320 s
    dv_m_s = 1000.0 * summary["orbit"]["insertion_delta_v_km_s"]
    assert figures["node_mass_kg"] == pytest.approx(3000.0 * math.exp(-dv_m_s / (9.80665 * 320)))
    shares = [row["delivered_percent"] for row in result.outcome("with-node").partners.values()]
    assert sum(shares) == pytest.approx(100.0)


@pytest.mark.browser
def test_comparison_page_in_a_browser(what_if):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    result, _, paths = what_if
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            headless=True,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(paths["html"].resolve().as_uri())
            rows = page.locator("#variants tbody tr")
            assert rows.count() == len(result.outcomes)
            assert rows.nth(2).get_attribute("data-variant") == "withdraw-C"
            # the Pareto plot is drawn by plotly.js: one marker per planned variant
            page.wait_for_selector("#pareto .scatterlayer .trace")
            points = page.locator("#pareto .scatterlayer .trace .point")
            assert points.count() == sum(o.ok for o in result.outcomes)
            assert page.locator("table.what-if-partners tr[data-partner='D']").count() == 1
            # a variant's link opens its own report
            page.click("#variants a:text-is('withdraw-C')")
            page.wait_for_selector("h2:has-text('Summary')")
            assert page.url.endswith("variants/withdraw-C/report.html")
            assert errors == []
        finally:
            browser.close()
