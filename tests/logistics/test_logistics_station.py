"""The logistics stage on a small station whose manifests and shortfalls are worked by hand.

BASE lands at the site in January with room to spare on its flight; HAB lands two crew later in
the year for ``stay`` days with 50 kg of food and enough O2 and water. Food as shipped is
1.834 kg per crew-day (BVAD Rev 2: 1.560 as eaten + 0.274 packaging); the reserve is 3 days of
current consumption. HAB's own flight is full, so the food it lacks can only come on BASE's.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from moonbase.campaign.stage import plan_campaign
from moonbase.closure import close_station
from moonbase.logistics import supply_station
from moonbase.logistics.demand import spares_by_mtbf
from moonbase.scenario import loads_scenario
from moonbase.systems import simulate_station
from moonbase.systems.components import parse_station
from moonbase.systems.drivers import Drivers
from moonbase.systems.stage import run_station

AS_OF = date(2030, 1, 1)
FOOD = 1.834  # kg per crew-day, as shipped
KG = 1e-6

CARGO_LAUNCHER = """
[[launchers]]
id = "CARGO"
name = "Cargo launcher"
partner = "P"
capacity_tli_kg = 4000.0
landed_fraction = 0.5
cadence_per_year = 4.0
first_available = 2029-01-01

[launchers.reliability]
alpha = 9.0
beta = 1.0
"""


def _scenario(*, stay: float = 30.0, base_tli: float = 2000.0, cargo: bool = False):
    return loads_scenario(
        f"""
schema_version = 1
name = "logistics test"

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
consumables_reserve_days = 3.0

[[partners]]
id = "P"
name = "Partner"
agency = "Agency"

[[launchers]]
id = "LV"
name = "Launcher"
partner = "P"
capacity_tli_kg = 20000.0
landed_fraction = 0.5
cadence_per_year = 2.0
first_available = 2029-01-01

[launchers.reliability]
alpha = 9.0
beta = 1.0
{CARGO_LAUNCHER if cargo else ""}
[[elements]]
id = "BASE"
name = "Base"
partner = "P"
role = "power"
location = "site"
provenance = "notional"
source = "a test element"
mass_tli_kg = {base_tli}
landed_mass_kg = 1000.0
power_produced_w = 10000.0
energy_storage_wh = 50000.0
power_consumed_operating_w = 1000.0
power_consumed_survival_w = 1000.0
allowed_launchers = ["LV"]
earliest_launch = 2030-01-01
latest_launch = 2030-01-31

[[elements]]
id = "HAB"
name = "Crewed lander"
partner = "P"
role = "crew_lander"
location = "site"
provenance = "notional"
source = "a test element"
mass_tli_kg = 20000.0
landed_mass_kg = 10000.0
crew = 2
surface_stay_days = {stay}
landed_o2_kg = {2 * stay * 0.895 * 1.2}
landed_water_kg = {2 * stay * 25.507 * 1.2}
landed_food_kg = 50.0
allowed_launchers = ["LV"]
earliest_launch = 2030-04-01
latest_launch = 2030-04-30
""",
        file="logistics-test.toml",
    )


def _site():
    """Always lit, Earth always in view: the station has energy to spare."""
    times = pd.date_range("2030-01-01", "2031-01-01", freq="1h", tz="UTC", inclusive="left")
    n = len(times)
    series = pd.DataFrame(
        {
            "sun_disk_fraction": np.ones(n),
            "sun_elevation_deg": np.full(n, 5.0),
            "sun_azimuth_deg": np.zeros(n),
            "earth_visible": np.ones(n),
            "lit": np.ones(n, dtype=bool),
            "horizon_at_sun_deg": np.zeros(n),
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


def _campaign(scenario, site):
    return plan_campaign(scenario, site, as_of=AS_OF, time_limit_s=5.0, risk=False)


def test_manifests_fill_the_food_store_and_cutting_them_leaves_the_deficit():
    scenario, site = _scenario(), _site()
    campaign = _campaign(scenario, site)
    arrivals = campaign.arrivals()
    assert arrivals["BASE"] < arrivals["HAB"]
    run, logistics = supply_station(scenario, site, campaign)
    # 2 crew x 30 d x 1.834 = 110.04 kg eaten, a 3-day reserve (11.004 kg) at the stay's last
    # hour, 50 kg landed: 71.044 kg on BASE's flight, the only one with room before then
    (carrier,) = [c for c in logistics.carriers if c.elements == ("BASE",)]
    assert carrier.capacity_kg == pytest.approx((20000.0 - 2000.0) * 0.5)
    food = 2 * 30 * FOOD + 3 * 2 * FOOD - 50.0
    assert logistics.manifests.loads_kg == {carrier.flight: {"food": pytest.approx(food, abs=KG)}}
    assert logistics.manifests.shortfalls == ()
    kpis, series = run.kpis, run.simulation.series
    assert kpis["food_deficit_kg"] == 0.0 and logistics.check(run) == ()
    assert series["food_delivered_kg"].sum() == pytest.approx(50.0 + food, abs=KG)
    assert series["food_stock_kg"].min() >= -KG
    # the store at the end of the stay holds exactly the reserve: 3 days of 2 crew
    stay_end = pd.Timestamp(arrivals["HAB"]) + pd.Timedelta(days=30) - pd.Timedelta(hours=1)
    assert series.loc[stay_end, "food_stock_kg"] == pytest.approx(3 * 2 * FOOD, abs=KG)
    assert logistics.balance(run)["residual"].abs().max() < 1e-9
    # the coupling cut: without the manifests the twin runs out by 2 x 30 x 1.834 - 50 kg
    bare = run_station(scenario, site, campaign)
    assert bare.kpis["food_deficit_kg"] == pytest.approx(2 * 30 * FOOD - 50.0, abs=KG)


def test_a_stay_no_flight_can_supply_gets_a_logistics_flight_of_the_hand_mass():
    # 200 days on 50 kg of food, BASE's flight full: no manifest can help. A cargo launcher can
    # land the smallest mass that closes it, 2 x 200 x 1.834 + 3 x 2 x 1.834 - 50 kg, in time.
    scenario, site = _scenario(stay=200.0, base_tli=20000.0, cargo=True), _site()
    campaign = _campaign(scenario, site)
    run, logistics = supply_station(scenario, site, campaign)
    (short,) = logistics.manifests.shortfalls
    hand = 2 * 200 * FOOD + 3 * 2 * FOOD - 50.0
    assert short.commodity == "food" and short.mass_kg == pytest.approx(hand, abs=1e-5)
    # the first hour short: 50 kg less the 11.004 kg reserve, eaten at 3.668 kg a day
    start = pd.Timestamp(campaign.arrivals()["HAB"])
    first = start + pd.Timedelta(hours=np.ceil((50.0 - 3 * 2 * FOOD) / (2 * FOOD / 24.0)))
    assert abs(short.by_utc - first) <= pd.Timedelta(hours=1)
    closure = close_station(scenario, site, campaign, run, logistics, replan_time_limit_s=3.0)
    assert closure.closed, closure.unmet
    (fix,) = closure.iterations
    assert fix.fix == "logistics flight" and fix.element == "LOGISTICS-1"
    assert fix.commodities == ("food",) and fix.added_mass_kg == pytest.approx(hand, abs=1e-5)
    assert fix.added_launchers == ("CARGO",) and fix.need_by == short.by_utc.date()
    flight = closure.scenario.element("LOGISTICS-1")
    assert flight.landed_food_kg == pytest.approx(hand, abs=1e-5) and flight.location == "site"
    assert closure.campaign.arrivals()["LOGISTICS-1"] <= short.by_utc.date()
    assert closure.systems.kpis["food_deficit_kg"] == pytest.approx(0.0, abs=1e-5)


def test_a_crew_stay_longer_than_any_resupply_allows_is_reported_not_raised():
    # The same stay with no launcher to spare: the plan says what is missing and by when.
    scenario, site = _scenario(stay=200.0, base_tli=20000.0), _site()
    campaign = _campaign(scenario, site)
    closure = close_station(scenario, site, campaign, run_station(scenario, site, campaign))
    assert not closure.closed and closure.iterations == ()
    (need,) = closure.unmet
    hand = 2 * 200 * FOOD + 3 * 2 * FOOD - 50.0
    assert need.need == "food stock" and need.unit == "kg"
    assert need.amount == pytest.approx(hand, abs=1e-5)
    assert "needed by 2030-05" in need.reason and "no" in need.reason
    assert closure.summary()["unmet"][0]["need"] == "food stock"


def test_expected_spares_match_the_twins_failures_on_average():
    # Renewal theory: a load failing at MTBF 200 h and repaired in 20 h draws one 2 kg repair
    # per 220 h on average; over 11,000 h that is 100 kg. The twin's sampled failures, averaged
    # over 40 seeds (sd of the mean about 1.6 kg), agree within 5 kg.
    hours = 11_000
    times = pd.date_range("2035-01-01", periods=hours, freq="h")
    ones = np.ones(hours)
    drivers = Drivers(times, ones, ones * 5.0, ones * 0.0, ones)
    load = {
        "type": "load",
        "name": "lab",
        "power_w": 10.0,
        "mtbf_h": 200.0,
        "mttr_h": 20.0,
        "spare_mass_kg": 2.0,
    }
    power = {"type": "fission_reactor", "name": "f", "power_w": 1000.0}
    plenty = {"type": "cargo", "name": "s", "contents_kg": {"spares": 10_000.0}}
    station = parse_station({"components": [power, load, plenty]})
    expected = spares_by_mtbf(station, times)
    assert expected.total_draw_kg("spares") == pytest.approx(hours / 220.0 * 2.0)
    assert expected.reserve_kg["spares"].max() == 2.0
    drawn = [
        simulate_station(station, drivers, failures=True, seed=seed).kpis["spares_consumed_kg"]
        for seed in range(40)
    ]
    assert np.mean(drawn) == pytest.approx(hours / 220.0 * 2.0, abs=5.0)
