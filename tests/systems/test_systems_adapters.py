"""Adapters from the scenario and campaign stages, and the site series."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from moonbase.systems import drivers_from_site_series, simulate_station
from moonbase.systems.adapters import campaign_operating_dates, station_from_scenario
from moonbase.systems.drivers import Drivers


def test_station_from_scenario_with_dates():
    scenario_mod = pytest.importorskip("moonbase.scenario")
    scenario = scenario_mod.builtin_scenario("ilrs-reference")
    figures = {
        "NPU": {"power_produced_w": 40_000.0},
        "ILRS-1": {
            "power_produced_w": 30_000.0,
            "energy_storage_wh": 500_000.0,
            "power_consumed_survival_w": 2_000.0,
            "power_consumed_operating_w": 8_000.0,
        },
    }
    elements = [e.model_copy(update=figures.get(e.id, {})) for e in scenario.elements]
    scenario = scenario.model_copy(update={"elements": elements})
    dates = {"ILRS-1": date(2031, 1, 1), "NPU": date(2034, 1, 1), "LANYUE-2": date(2036, 3, 1)}
    station, notes = station_from_scenario(scenario, dates)
    names = {c.name: c for c in station.components}
    assert names["NPU:reactor"].type == "fission_reactor"
    assert names["ILRS-1:pv"].mount == "vertical_tracking"
    assert names["ILRS-1:operations"].power_w == 6_000.0
    assert str(names["NPU:reactor"].arrival_utc) == "2034-01-01 00:00:00"
    # the crewed lander has no power figures: an open-loop ECLSS leaking its cabin's air; the
    # consumables it lands with are a cargo delivered to the stores on its arrival
    eclss = names["LANYUE-2:eclss"]
    assert (eclss.type, eclss.initial_water_kg, eclss.power_w_per_crew) == ("eclss", 0.0, 0.0)
    assert eclss.cabin_leak_kg_per_day == 0.227
    assert str(eclss.arrival_utc) == "2036-03-01 00:00:00"
    cargo = names["LANYUE-2:landed"]
    assert cargo.contents_kg == {"o2": 31.325, "water": 892.745, "food": 64.19}
    assert str(cargo.arrival_utc) == "2036-03-01 00:00:00"
    # the research modules' equipment fails (MTBF) and is repaired from the spares stock
    assert (names["ILRS-1:operations"].mtbf_h, names["ILRS-1:operations"].spare_mass_kg) == (
        20_000.0,
        195.0,
    )
    assert not any(n.startswith("LANYUE-2") for n in notes)
    # CE-7 lands at its own target (location CE7-TARGET), not at the station's site
    assert not any(n.startswith("CE-7") for n in notes)
    assert any(n.startswith("ILRS-2: not flown") for n in notes)
    # the reference scenario's comms figures for ILRS-1 (50 Mbit/s, 2,000 Gbit) make a terminal
    terminal = names["ILRS-1:comms"]
    assert (terminal.type, terminal.dte_rate_mbps, terminal.buffer_gbit) == (
        "comms_terminal",
        50.0,
        2_000.0,
    )
    assert terminal.power_w == 0.0  # counted in the element's operating power
    assert str(terminal.arrival_utc) == "2031-01-01 00:00:00"


def test_scenario_comms_figures_make_a_terminal_that_carries_data():
    # A one-element scenario station: 1 Mbit/s to Earth (3.6 Gbit an hour) and a 5 Gbit buffer.
    # An instrument load makes 2 Mbit/s (7.2 Gbit an hour); Earth is in view for the first 2 h
    # of 4. Each of those hours 3.6 Gbit goes down and the rest waits: the buffer holds 3.6,
    # then 5 (2.2 Gbit lost). With Earth hidden nothing goes down and 7.2 Gbit an hour is lost.
    scenario_mod = pytest.importorskip("moonbase.scenario")
    scenario = scenario_mod.builtin_scenario("ilrs-reference")
    ilrs1 = next(e for e in scenario.elements if e.id == "ILRS-1")
    element = ilrs1.model_copy(
        update={
            "power_produced_w": None,
            "energy_storage_wh": None,
            "power_consumed_operating_w": None,
            "power_consumed_survival_w": None,
            "downlink_rate_mbps": 1.0,
            "data_buffer_gbit": 5.0,
            "mtbf_h": None,
        }
    )
    station, notes = station_from_scenario(scenario.model_copy(update={"elements": [element]}))
    assert [c.name for c in station.components] == ["ILRS-1:comms"] and notes == []
    components = [
        *({**c.model_dump(), "arrival_utc": None} for c in station.components),
        {"type": "fission_reactor", "name": "fsp", "power_w": 1_000.0},
        {"type": "load", "name": "instrument", "power_w": 100.0, "data_rate_mbps": 2.0},
    ]
    n = 4
    drivers = Drivers(
        pd.date_range("2036-03-01", periods=n, freq="h"),
        np.ones(n),
        np.full(n, 5.0),
        np.zeros(n),
        (np.arange(n) < 2).astype(float),
    )
    series = simulate_station({"components": components}, drivers).series
    assert series["data_buffer_gbit"].to_numpy() == pytest.approx([3.6, 5.0, 5.0, 5.0])
    assert series["data_delivered_gbit"].to_numpy() == pytest.approx([3.6, 3.6, 0.0, 0.0])
    assert series["data_lost_gbit"].to_numpy() == pytest.approx([0.0, 2.2, 7.2, 7.2])


def test_campaign_operating_dates():
    campaign = pytest.importorskip("moonbase.campaign")
    instance = campaign.synthetic_instance(n_elements=6, n_flights=4, years=4)
    plan = campaign.greedy_plan(instance)
    dates = campaign_operating_dates(instance, plan)
    starts = set(instance.bucket_starts)
    assert dates and all(d is None or d in starts for d in dates.values())


def test_site_series_adapter():
    # a table shaped like moonbase.site.series.site_time_series output
    n = 48
    index = pd.date_range("2030-01-01", periods=n, freq="h", name="utc")
    series = pd.DataFrame(
        {
            "sun_disk_fraction": np.r_[np.ones(24), np.zeros(24)],
            "sun_elevation_deg": np.full(n, 1.0),
            "sun_azimuth_deg": np.linspace(0, 360, n, endpoint=False),
            "sun_radius_deg": np.full(n, 0.2666),
            "earth_visible": np.r_[np.zeros(12), np.ones(36)].astype(bool),
        },
        index=index,
    )
    drivers = drivers_from_site_series(series, crew=2)
    # 0.2666 deg is the Sun's apparent radius at 1.0 au (695,700 km / 149,597,870.7 km)
    assert drivers.sun_distance_au[0] == pytest.approx(1.0, abs=2e-3)
    station = {
        "components": [
            {"type": "solar_array", "name": "pv", "rated_power_w": 1000.0, "mount": "tracking"},
            {"type": "eclss", "name": "eclss", "initial_o2_kg": 10.0, "power_w_per_crew": 0.0},
        ]
    }
    result = simulate_station(station, drivers)
    assert result.kpis["longest_dark_hours"] == 24.0


def test_site_series_and_flat_horizon_drivers_agree():
    # Two independent paths to the same drivers: the site stage's per-site series with a
    # level 0-degree terrain horizon, and this package's flat-horizon builder. Both use the
    # environment engine for the Sun, so the disk fractions must agree to rounding.
    site_series = pytest.importorskip("moonbase.site.series")
    from moonbase.systems import flat_horizon_drivers
    from moonbase.time import time_range

    t = time_range("2030-03-01", "2030-04-01", "1h")
    table = site_series.site_time_series(np.zeros(360), -89.45, 222.69, 0.0, t)
    a = drivers_from_site_series(table)
    b = flat_horizon_drivers(-89.45, 222.69, "2030-03-01", "2030-04-01", "1h")
    np.testing.assert_allclose(a.sun_fraction, b.sun_fraction, atol=1e-9)
    np.testing.assert_array_equal(a.earth_visible, b.earth_visible)
    np.testing.assert_allclose(a.sun_distance_au, b.sun_distance_au, rtol=1e-12)
