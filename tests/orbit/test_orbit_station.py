"""The station in lunar orbit through the whole plan, alone and beside a surface base.

Each figure is checked against the orbit stage's validated functions (its eclipses are checked
against SPICE in ``test_orbit_eclipses.py``), a published value or a hand calculation.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

import moonbase
from moonbase.errors import InputError
from moonbase.orbit.eclipses import battery_capacity_for_eclipse_wh, node_eclipses
from moonbase.orbit.stage import NodeChoice, dark_fraction
from moonbase.pipeline import write_plan
from moonbase.scenario import loads_scenario
from moonbase.scenario.problems import ScenarioError
from moonbase.windows import Windows

AS_OF = "2030-01-01"

HEAD = """
schema_version = 1
name = "{name}"
{site}
[orbit]
name = "node"
family = "nrho"
resonance = "9:2"
insertion_delta_v_km_s = 0.4
insertion_isp_s = 320.0

[campaign]
start = 2030-01-01
end = 2031-06-30
bucket = "month"

[policies]
basic_model = {basic}

[[partners]]
id = "P"
name = "Partner"
agency = "Agency"

[[partners]]
id = "Q"
name = "Other"
agency = "Other agency"

[[launchers]]
id = "LV"
name = "Launcher"
partner = "P"
capacity_tli_kg = 20000.0
landed_fraction = 0.35
cadence_per_year = 4.0
first_available = 2029-01-01

[launchers.reliability]
alpha = 9.0
beta = 1.0
"""

SITE = """
[site]
name = "Connecting Ridge"
latitude_deg = -89.45
longitude_deg = 222.69
search_radius_km = 1.0
"""

BASE = """
[[elements]]
id = "BASE"
name = "Surface base"
partner = "P"
role = "power"
location = "site"
provenance = "notional"
source = "test"
mass_tli_kg = 20000.0
landed_mass_kg = 7000.0
power_produced_w = 20000.0
energy_storage_wh = 400000.0
power_consumed_operating_w = 3000.0
power_consumed_survival_w = 1000.0
downlink_rate_mbps = 20.0
data_buffer_gbit = 500.0
allowed_launchers = ["LV"]
earliest_launch = 2030-01-01

[[experiments]]
id = "SURFACE-X"
partner = "P"
category = "basic_science"
duration_h = 24.0
power_w = 200.0
data_volume_gbit = 5.0
requires = ["BASE"]
repeats = 50
repeat_gap_h = 72.0
"""

NODE = """
[[elements]]
id = "NODE"
name = "Orbit node module"
partner = "Q"
role = "power"
location = "node"
provenance = "notional"
source = "test"
mass_tli_kg = 8000.0
power_produced_w = 15000.0
energy_storage_wh = 2000.0
power_consumed_operating_w = 2000.0
power_consumed_survival_w = 800.0
downlink_rate_mbps = 50.0
data_buffer_gbit = 500.0
allowed_launchers = ["LV"]
earliest_launch = 2030-01-01

[[elements]]
id = "CREW"
name = "Crew visit"
partner = "Q"
role = "crew_transport"
location = "node"
provenance = "notional"
source = "test"
mass_tli_kg = 12000.0
crew = 2
surface_stay_days = 10.0
landed_o2_kg = 30.0
landed_water_kg = 700.0
landed_food_kg = 50.0
requires = ["NODE"]
allowed_launchers = ["LV"]
earliest_launch = 2030-06-01

[[experiments]]
id = "NODE-X"
partner = "Q"
category = "lunar_based_observation"
duration_h = 24.0
power_w = 200.0
data_volume_gbit = 5.0
windows = ["earth_in_view"]
requires = ["NODE"]
repeats = 50
repeat_gap_h = 72.0
"""

G0 = 9.80665
DELIVERED = math.exp(-400.0 / (G0 * 320.0))  # 0.4 km/s at 320 s: 88.03 %


def _scenario(*, site: bool):
    head = HEAD.format(
        name="surface and node" if site else "node only",
        site=SITE if site else "",
        basic='["BASE", "NODE"]' if site else '["NODE"]',
    )
    return loads_scenario(head + (BASE if site else "") + NODE, file="node-test.toml")


def _plan(scenario, **extra):
    return moonbase.plan(
        scenario,
        as_of=AS_OF,
        risk_runs=200,
        risk_workers=0,
        campaign_time_limit_s=5.0,
        science_time_limit_s=5.0,
        replan_time_limit_s=3.0,
        node_phases=12,
        **extra,
    )


@pytest.fixture(scope="module")
def node_plan():
    return _plan(_scenario(site=False))


@pytest.fixture(scope="module")
def both_plan():
    from moonbase.site.stage import site_terrain

    return _plan(_scenario(site=True), terrain=site_terrain(far_field=False))


def test_dark_fraction_of_hours_by_hand():
    # Eclipses 00:30-01:30 and 03:00-03:15 (seconds): hours 0..3 are dark for 1/2, 1/2, 0, 1/4.
    windows = Windows(np.array([1800.0, 10800.0]), np.array([5400.0, 11700.0]))
    edges = np.arange(5) * 3600.0
    assert dark_fraction(edges, windows).tolist() == [0.5, 0.5, 0.0, 0.25]
    assert dark_fraction(edges, Windows.empty()).tolist() == [0.0] * 4


def test_an_orbital_station_alone_runs_through_every_stage(node_plan, tmp_path):
    p = node_plan
    assert isinstance(p.site, NodeChoice) and p.node is p.site
    assert [s.location for s in p.stations] == ["node"]
    summary = p.summary()
    assert summary["terrain"]["source"].startswith("none")
    assert summary["site"]["latitude_deg"] is None and summary["site"]["name"] == "node"
    assert summary["orbit"]["station"] is None  # the node is the primary station
    assert "no landing-daylight rule" in p.campaign.daylight_source
    assert p.systems.crew_days == pytest.approx(20.0)  # 2 crew x 10 days at the node
    assert summary["systems"]["o2_deficit_kg"] == 0.0
    assert p.closure.closed, p.closure.unmet
    assert summary["science"]["runs"] > 0
    result = write_plan(p, tmp_path)
    html = result.report_path.read_text()
    assert "<h2>Orbit node: node" in html and "How the stages differ" in html
    assert (tmp_path / "node_series.parquet").exists()


def test_the_nodes_eclipses_and_earth_are_the_orbit_stages(node_plan):
    # Recompute the eclipses at the chosen phase at a finer step with the orbit stage's own
    # function (checked against SPICE's gfoclt): the plan's figures agree within the sampling.
    node = node_plan.node
    start, stop = node.series.index[0], node.series.index[-1]
    fine = node_eclipses(node.spec, start.isoformat(), stop.isoformat(), step_s=60.0)
    assert node.eclipses.longest_min() == pytest.approx(fine.longest_min(), abs=0.05)
    assert len(node.eclipses.eclipses) == len(fine.eclipses)
    # published: the 9:2 NRHO's eclipses by the Moon last at most about 90 min (Gateway's
    # reference orbit, Lee 2019); the chosen phase avoids the Earth's shadow over the span
    assert 50.0 < node.eclipses.longest_min("moon") <= 90.0
    assert node.eclipses.longest_min("earth") == 0.0
    # the hourly series loses exactly the eclipsed hours (every eclipse lies inside the span)
    dark_h = float((1.0 - node.series["sun_disk_fraction"]).sum())
    assert dark_h == pytest.approx(node.eclipses.eclipses.durations.sum() / 3600.0, abs=1e-6)
    # the Earth stays in view from the NRHO (its apolune over the south pole)
    assert node.summary.earth_visible_percent > 99.0
    # coupling: the twin's light is the node's series, not a surface cell's
    drivers = node_plan.systems.simulation.drivers
    assert np.array_equal(drivers.sun_fraction, node.series["sun_disk_fraction"].to_numpy())


def test_the_nodes_battery_covers_the_longest_eclipse(node_plan):
    # The closed node carries its survival loads through the longest eclipse: its storage is at
    # least the exact rule's C = E / (sqrt(rt) DoD) for the steady survival load.
    run, node = node_plan.systems, node_plan.node
    survival_w = sum(
        c.power_w for c in run.station.components if c.type == "load" and c.priority == 1
    )
    e = node.eclipses
    need = battery_capacity_for_eclipse_wh(
        survival_w,
        np.array([e.start_s, e.stop_s]),
        e.eclipses,
        depth_of_discharge=0.8,
        round_trip_efficiency=0.9,
    )
    storage = sum(c.capacity_wh for c in run.station.components if c.type == "battery")
    assert storage >= need > 0
    assert run.kpis["critical_energy_not_served_kwh"] == 0.0
    assert run.kpis["min_survival_margin_h"] > 0.0


def test_elements_reach_the_node_less_their_insertion_propellant(node_plan):
    # 0.4 km/s at 320 s: exp(-400 / (9.80665 x 320)) = 88.03 % of the TLI mass arrives, and a
    # flight's cargo room at the node is its spare TLI capacity times that.
    node = node_plan.node
    assert node.delivered_fraction == pytest.approx(DELIVERED, rel=1e-12)
    assert node_plan.summary()["orbit"]["delivered_fraction"] == pytest.approx(0.8803, abs=1e-4)
    tli = {e.id: e.mass_tli_kg for e in node_plan.scenario.elements}  # as closed
    flights = {f"{f.launcher}#{f.index + 1}": f for f in node_plan.campaign.result.plan.flights}
    for carrier in node_plan.logistics.carriers:
        used = sum(tli[e] for e in flights[carrier.flight].elements)
        assert carrier.capacity_kg == pytest.approx((20000.0 - used) * DELIVERED)


def test_a_surface_base_and_an_orbit_node_are_planned_together(both_plan, tmp_path):
    p = both_plan
    assert [s.location for s in p.stations] == ["site", "node"]
    surface, node = p.stations
    # each station schedules the experiments its own elements host
    assert {r.id for r in surface.science.instance.problem.requests} == {"SURFACE-X"}
    assert {r.id for r in node.science.instance.problem.requests} == {"NODE-X"}
    # the node's twin has the node's elements only, on the node's light
    names = {c.name.split(":")[0] for c in node.systems.station.components}
    assert "BASE" not in names and "NODE" in names
    summary = p.summary()
    assert set(summary["orbit"]["station"]) == {
        "systems",
        "logistics",
        "closure",
        "science",
        "unmet",
    }
    assert summary["site"]["latitude_deg"] == pytest.approx(-89.45, abs=0.1)
    html = write_plan(p, tmp_path).report_path.read_text()
    assert "(orbit node)" in html and "(surface base)" in html
    assert (tmp_path / "systems_series_node.parquet").exists()


def test_node_elements_need_an_orbit_and_a_tli_mass():
    text = HEAD.format(name="x", site=SITE, basic='["BASE"]').replace(
        HEAD[HEAD.index("[orbit]") : HEAD.index("[campaign]")], ""
    )
    with pytest.raises(ScenarioError) as error:
        loads_scenario(text + BASE + NODE, file="no-orbit.toml")
    assert "placed at the node but the scenario has no [orbit]" in str(error.value)
    no_tli = NODE.replace("mass_tli_kg = 8000.0\n", "landed_mass_kg = 5000.0\n")
    with pytest.raises(ScenarioError) as error:
        loads_scenario(HEAD.format(name="x", site="", basic='["NODE"]') + no_tli, file="t.toml")
    assert "give mass_tli_kg" in str(error.value)
    with pytest.raises(InputError):
        moonbase.plan(loads_scenario(text + BASE, file="x.toml").model_copy(update={"site": None}))


@pytest.mark.slow
def test_the_builtin_orbital_node_closes_with_its_phase_chosen_for_the_campaign():
    # The ILRS orbital node variant (notional) end to end: the phase scan keeps the Earth's
    # shadow away for 2026-2040; at the scenario's own phase the longest eclipse is over 4 hours.
    from moonbase.scenario import builtin_scenario

    p = moonbase.plan(
        builtin_scenario("ilrs-orbital-node"),
        as_of=date(2026, 12, 3),
        risk_runs=200,
        risk_workers=0,
        science_time_limit_s=5.0,
        node_phases=24,
    )
    orbit = p.summary()["orbit"]
    assert orbit["earth_eclipse_max_min"] == 0.0 and orbit["eclipse_max_min"] <= 90.0
    assert orbit["default_phase_eclipse_max_min"] > 200.0
    assert p.closure.closed and p.systems.kpis["crew_days"] == pytest.approx(90.0)
    assert pd.Timestamp(p.site.series.index[-1]).year == 2040
