"""The closure step on a small hand-built station whose fix is known by hand.

One element lands at the site with a 1 kW survival load (its whole load), a PV array that
recharges it in daylight and a battery too small for the one dark run of the hand-built series
(100 h). The battery that carries it is ``P t / (sqrt(rt) DoD)`` (:func:`battery_capacity_for_
night_wh`), times the sizing margin.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from moonbase.campaign.stage import plan_campaign
from moonbase.closure import (
    STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    add_storage_elements,
    apply_storage,
    check_survival,
    close_station,
)
from moonbase.scenario import loads_scenario
from moonbase.systems.power import battery_capacity_for_night_wh
from moonbase.systems.stage import run_station

AS_OF = date(2030, 1, 1)
DARK_START = pd.Timestamp("2030-03-01 00:00")
DARK_H = 100
LOAD_W = 1000.0


BIG = """
[[launchers]]
id = "BIG"
name = "Heavy launcher, too late"
partner = "P"
capacity_tli_kg = 50000.0
landed_fraction = 0.5
cadence_per_year = 1.0
first_available = 2031-06-01

[launchers.reliability]
alpha = 9.0
beta = 1.0
"""


SMALL = """
[[launchers]]
id = "SMALL"
name = "Small launcher of the same partner"
partner = "P"
capacity_tli_kg = 1500.0
landed_fraction = 0.5
cadence_per_year = 4.0
first_available = 2029-01-01

[launchers.reliability]
alpha = 9.0
beta = 1.0
"""


def _scenario(
    *,
    capacity_tli_kg: float = 20_000.0,
    storage_wh: float = 50_000.0,
    big: bool = False,
    small: bool = False,
    cadence: float = 4.0,
    latest: str = "2030-12-31",
    small_from: str = "2029-01-01",
):
    allowed = '["LV", "BIG"]' if big else '["LV"]'
    return loads_scenario(
        f"""
schema_version = 1
name = "closure test"

[site]
name = "test cell"
latitude_deg = -89.45
longitude_deg = 222.69

[campaign]
start = 2030-01-01
end = 2030-12-31
bucket = "month"

[policies]
basic_model = ["BASE"]
landing_requires_daylight = false

[[partners]]
id = "P"
name = "Partner"
agency = "Agency"

[[launchers]]
id = "LV"
name = "Launcher"
partner = "P"
capacity_tli_kg = {capacity_tli_kg}
landed_fraction = 0.5
cadence_per_year = {cadence}
first_available = 2029-01-01

[launchers.reliability]
alpha = 9.0
beta = 1.0
{BIG if big else ""}{SMALL.replace("2029-01-01", small_from) if small else ""}
[[elements]]
id = "BASE"
name = "Base"
partner = "P"
role = "power"
location = "site"
provenance = "notional"
source = "a test element"
mass_tli_kg = 2000.0
landed_mass_kg = 1000.0
power_produced_w = 10000.0
energy_storage_wh = {storage_wh}
power_consumed_operating_w = {LOAD_W}
power_consumed_survival_w = {LOAD_W}
allowed_launchers = {allowed}
earliest_launch = 2030-01-01
latest_launch = {latest}
""",
        file="closure-test.toml",
    )


def _site(dark_start: pd.Timestamp = DARK_START):
    """Hourly light: lit (Sun 5 deg up) except one run of DARK_H dark hours from dark_start."""
    times = pd.date_range("2030-01-01", "2030-05-01", freq="1h", tz="UTC")
    naive = times.tz_convert(None)
    dark = (naive >= dark_start) & (naive < dark_start + pd.Timedelta(hours=DARK_H))
    series = pd.DataFrame(
        {
            "sun_disk_fraction": np.where(dark, 0.0, 1.0),
            "sun_elevation_deg": np.where(dark, -2.0, 5.0),
            "sun_azimuth_deg": np.zeros(len(times)),
            "earth_visible": np.ones(len(times)),
            "lit": ~dark,
            "horizon_at_sun_deg": np.zeros(len(times)),
        },
        index=times,
    )
    return SimpleNamespace(
        series=series,
        latitude_deg=-89.45,
        longitude_deg=222.69,
        ground_m=0.0,
        mast_height_m=2.0,
        horizon_deg=np.zeros(360),
    )


def _planned(scenario, site):
    campaign = plan_campaign(scenario, site, as_of=AS_OF, time_limit_s=5.0, risk=False)
    return campaign, run_station(scenario, site, campaign)


def test_the_loop_sizes_the_hand_figure_and_closes_in_one_iteration():
    scenario, site = _scenario(), _site()
    campaign, systems = _planned(scenario, site)
    assert campaign.arrivals()["BASE"] < DARK_START.date()
    before = check_survival(systems)
    assert not before.survives and before.short_loads == ("BASE:survival",)
    assert before.first_short_utc > DARK_START

    closure = close_station(scenario, site, campaign, systems, margin=0.2)

    assert closure.closed and not closure.unmet
    assert len(closure.iterations) == 1
    fix = closure.iterations[0]
    hand = battery_capacity_for_night_wh(
        LOAD_W, DARK_H, round_trip_efficiency=0.9, depth_of_discharge=0.8, margin=0.2
    )
    assert fix.capacity_after_wh == pytest.approx(hand, rel=1.1e-3)  # bisection rtol 1e-3
    assert (fix.element, fix.component, fix.fix) == ("BASE", "BASE:battery", "storage on element")
    assert fix.added_elements == ()
    added_kg = (fix.capacity_after_wh - 50_000.0) / STORAGE_SPECIFIC_ENERGY_WH_PER_KG
    assert fix.added_mass_kg == pytest.approx(added_kg)
    assert fix.added_tli_mass_kg == pytest.approx(added_kg / 0.5)
    assert fix.critical_energy_not_served_before_kwh == pytest.approx(
        before.critical_energy_not_served_kwh
    )
    assert fix.critical_energy_not_served_after_kwh == 0.0
    assert fix.min_survival_margin_after_h > 0.0
    assert fix.launcher_before == fix.launcher_after == "LV"
    # The closed design carries the storage and its mass; the campaign flew that design.
    base = next(e for e in closure.scenario.elements if e.id == "BASE")
    assert base.energy_storage_wh == fix.capacity_after_wh
    assert base.landed_mass_kg == pytest.approx(1000.0 + added_kg)
    flown = closure.campaign.result.table().set_index("element")
    assert flown.loc["BASE", "landed_mass_kg"] == pytest.approx(base.landed_mass_kg)
    assert closure.final.survives and closure.systems.kpis["min_survival_margin_h"] > 0
    summary = closure.summary()
    assert summary["closed"] is True and summary["iterations"] == 1
    assert summary["fixes"][0]["element"] == "BASE" and summary["unmet"] == []


def _hand_capacity_wh() -> float:
    return battery_capacity_for_night_wh(
        LOAD_W, DARK_H, round_trip_efficiency=0.9, depth_of_discharge=0.8, margin=0.2
    )


def test_storage_too_heavy_for_the_element_flies_as_a_separate_unit_and_closes():
    # 2,100 kg of TLI capacity on LV: BASE (2,000 kg) flies, but not with ~680 kg more storage.
    # LV flies once a year (BASE takes it); SMALL, the partner's other launcher (1,500 kg TLI,
    # 750 kg landed), carries the storage as a separate unit, landed before BASE.
    dark = pd.Timestamp("2030-04-01 00:00")
    scenario, site = _scenario(capacity_tli_kg=2100.0, small=True, cadence=1.0), _site(dark)
    campaign, systems = _planned(scenario, site)
    assert not check_survival(systems).survives
    closure = close_station(scenario, site, campaign, systems, replan_time_limit_s=3.0)
    assert closure.closed and not closure.unmet
    (fix,) = closure.iterations
    assert fix.fix == "storage element" and fix.element == "BASE"
    assert fix.added_elements == ("BASE-STORAGE-1",)
    assert fix.added_launchers == ("SMALL",)
    hand = _hand_capacity_wh()
    assert fix.capacity_after_wh == pytest.approx(hand, rel=1.1e-3)
    added_wh = fix.capacity_after_wh - 50_000.0
    hand_kg = added_wh / STORAGE_SPECIFIC_ENERGY_WH_PER_KG  # ~676 kg, within SMALL's 750 kg
    assert fix.added_mass_kg == pytest.approx(hand_kg)
    assert fix.added_tli_mass_kg == pytest.approx(hand_kg / 0.5)
    assert fix.critical_energy_not_served_after_kwh == 0.0
    unit = closure.scenario.element("BASE-STORAGE-1")
    assert unit.energy_storage_wh == pytest.approx(added_wh)
    assert unit.landed_mass_kg == pytest.approx(hand_kg)
    assert unit.location == "site" and unit.partner == "P"
    assert unit.provenance == "notional" and "notional" in unit.mass_basis
    assert sorted(unit.allowed_launchers) == ["LV", "SMALL"]
    base = closure.scenario.element("BASE")
    assert base.energy_storage_wh == 50_000.0 and base.landed_mass_kg == 1000.0
    assert "BASE-STORAGE-1" in base.requires  # the unit lands first
    arrivals = closure.campaign.arrivals()
    assert fix.added_arrivals == (arrivals["BASE-STORAGE-1"],)
    assert arrivals["BASE-STORAGE-1"] < arrivals["BASE"] < dark.date()
    assert fix.operating_before == campaign.arrivals()["BASE"]
    assert fix.operating_after == arrivals["BASE"]
    row = closure.summary()["fixes"][0]
    assert row["added_elements"] == ["BASE-STORAGE-1"] and row["added_launchers"] == ["SMALL"]
    assert closure.table()["added_elements"].tolist() == ["BASE-STORAGE-1"]


def test_storage_splits_into_the_fewest_units_the_best_launcher_lands():
    # 2,000 kWh = 12,500 kg at 160 Wh/kg; LV lands 1,050 kg (SMALL 750 kg): 12 units of
    # 1,041.7 kg, each too heavy for SMALL (2,083 kg TLI > 1,500 kg).
    scenario = _scenario(capacity_tli_kg=2100.0, small=True)
    changed, ids = add_storage_elements(scenario, "BASE", 2_000_000.0, land_first=False)
    assert ids == [f"BASE-STORAGE-{n}" for n in range(1, 13)]
    units = [changed.element(i) for i in ids]
    assert all(u.energy_storage_wh == pytest.approx(2_000_000.0 / 12) for u in units)
    assert all(u.landed_mass_kg == pytest.approx(12_500.0 / 12) for u in units)
    assert all(u.allowed_launchers == ["LV"] for u in units)
    assert changed.element("BASE").requires == []
    again, more = add_storage_elements(changed, "BASE", 100_000.0)
    assert more == ["BASE-STORAGE-13"] and again.element("BASE").requires == ["BASE-STORAGE-13"]


def test_a_shortfall_before_the_unit_can_land_stays_unserved_and_is_reported():
    # BASE must launch in January or February 2030, alone on LV's one flight of the year; SMALL
    # flies from February, so the unit cannot operate before BASE does (BASE would then launch
    # after its window) and flies independently, operating from 1 March. The night starting
    # 10 February falls between: its shortfall stays, and the next pass says so.
    dark = pd.Timestamp("2030-02-10 00:00")
    scenario = _scenario(
        capacity_tli_kg=2100.0,
        small=True,
        cadence=1.0,
        latest="2030-02-28",
        small_from="2030-02-01",
    )
    site = _site(dark)
    campaign, systems = _planned(scenario, site)
    assert campaign.arrivals()["BASE"] < dark.date()
    closure = close_station(scenario, site, campaign, systems, replan_time_limit_s=3.0)
    assert not closure.closed
    (fix,) = closure.iterations
    assert fix.fix == "storage element" and fix.added_launchers == ("SMALL",)
    assert fix.added_arrivals[0] > dark.date()
    assert "flies independently" in closure.scenario.element("BASE-STORAGE-1").note
    assert "BASE-STORAGE-1" not in closure.scenario.element("BASE").requires
    assert fix.critical_energy_not_served_after_kwh == pytest.approx(
        fix.critical_energy_not_served_before_kwh
    )
    (gap,) = closure.unmet
    assert gap.need == "survival energy" and gap.element == "BASE" and gap.unit == "kWh"
    assert gap.amount == pytest.approx(closure.final.critical_energy_not_served_kwh)
    assert "before BASE's storage units land (2030-03-01)" in gap.reason
    unserved = closure.systems.simulation.series["critical_unserved_w"]
    assert f"{int((unserved > 1e-9).sum()):,} h" in gap.reason


def test_storage_no_campaign_can_fly_is_reported_unmet():
    # LV flies once in the window (BASE takes it): neither BASE with ~680 kg more storage
    # (over LV's 2,100 kg) nor a separate storage unit can fly.
    scenario, site = _scenario(capacity_tli_kg=2100.0, cadence=1.0), _site()
    campaign, systems = _planned(scenario, site)
    closure = close_station(scenario, site, campaign, systems, replan_time_limit_s=2.0)
    assert not closure.closed and closure.iterations == ()
    needs = {u.need: u for u in closure.unmet}
    assert set(needs) == {"storage mass", "survival energy"}
    mass = needs["storage mass"]
    assert mass.element == "BASE" and mass.unit == "kg" and "LV" in mass.reason
    assert "separate storage elements" in mass.reason
    # the amount is the TLI mass over LV's capacity: 2,000 kg + (added storage / 160 Wh/kg) / 0.5
    over = 2000.0 + (_hand_capacity_wh() - 50_000.0) / STORAGE_SPECIFIC_ENERGY_WH_PER_KG / 0.5
    assert mass.amount == pytest.approx(over - 2100.0, rel=5e-3)
    energy = needs["survival energy"]
    assert energy.amount == pytest.approx(systems.kpis["critical_energy_not_served_kwh"])
    assert energy.unit == "kWh" and energy.amount > 0
    # the plan stays the one that flies
    assert closure.scenario is scenario and closure.systems is systems
    assert closure.campaign is campaign


def test_zero_iterations_reports_the_shortfall():
    scenario, site = _scenario(), _site()
    campaign, systems = _planned(scenario, site)
    closure = close_station(scenario, site, campaign, systems, max_iterations=0)
    assert not closure.closed and closure.iterations == ()
    (unmet,) = closure.unmet
    assert unmet.need == "survival energy" and unmet.element == "BASE"
    assert unmet.amount == pytest.approx(closure.initial.critical_energy_not_served_kwh)
    assert "iteration limit (0)" in unmet.reason
    assert closure.summary()["unmet"][0]["unit"] == "kWh"


def test_apply_storage_grows_landed_and_tli_mass():
    scenario = _scenario()
    changed, kg, tli = apply_storage(scenario, "BASE", 210_000.0, specific_energy_wh_per_kg=200.0)
    base = next(e for e in changed.elements if e.id == "BASE")
    assert kg == pytest.approx(800.0) and tli == pytest.approx(1600.0)
    assert base.energy_storage_wh == 210_000.0
    assert base.landed_mass_kg == pytest.approx(1800.0)
    assert base.mass_tli_kg == pytest.approx(3600.0)
    assert "closure" in base.mass_basis
    assert next(e for e in scenario.elements if e.id == "BASE").energy_storage_wh == 50_000.0
