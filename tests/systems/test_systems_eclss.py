"""Life support and ISRU: BVAD per-crew figures, loop closures, stocks, ISRU yield."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.errors import InputError
from moonbase.systems import BVAD_2004, Drivers, simulate_station

EPS = np.finfo(float).eps


def thirty_days(crew=4.0) -> Drivers:
    n = 720  # 30 days of hourly steps
    return Drivers(
        pd.date_range("2036-03-01", periods=n, freq="h"),
        np.ones(n),
        np.full(n, 5.0),
        np.zeros(n),
        np.ones(n),
        crew=np.full(n, crew),
    )


def crewed_station(o2_closure=0.0, water_recovery=0.0, isru=False):
    components = [
        {"type": "fission_reactor", "name": "fsp", "power_w": 40_000.0},
        {
            "type": "eclss",
            "name": "eclss",
            "o2_closure": o2_closure,
            "water_recovery": water_recovery,
            "initial_o2_kg": 200.0,
            "initial_water_kg": 600.0,
            "initial_food_kg": 100.0,
        },
    ]
    if isru:
        components.append(
            {
                "type": "isru_plant",
                "name": "isru",
                "power_w": 10_000.0,
                "o2_yield_kg_per_kwh": 0.06,
                "regolith_kg_per_kg_o2": 20.0,
            }
        )
    return {"components": components}


def test_bvad_table_is_in_mass_balance():
    # BVAD 2004 nominal crewmember: in 0.835 + 0.617 + 3.909 = 5.361 kg/CM-d,
    # out 0.998 + (0.032 + 0.018 + 0.059) + (0.091 + 2.277 + 1.886) = 5.361 kg/CM-d.
    r = BVAD_2004
    assert r.o2_kg + r.food_kg + r.water_kg == pytest.approx(5.361, abs=1e-12)
    assert r.co2_kg + r.solid_waste_kg + r.waste_water_kg == pytest.approx(5.361, abs=1e-12)


def test_bvad_four_crew_thirty_days_open_loop():
    # 4 crew x 30 d = 120 crew-days; BVAD 2004 per crew-day x 120 (by hand):
    # O2 100.2 kg, food 74.04 kg, water 469.08 kg, CO2 119.76 kg.
    result = simulate_station(crewed_station(), thirty_days(), crew_rates="bvad-2004")
    s, k = result.series, result.kpis
    assert k["o2_consumed_kg"] == pytest.approx(100.2, abs=1e-9)
    assert s["o2_stock_kg"].iloc[-1] == pytest.approx(200.0 - 100.2, abs=1e-9)
    assert s["food_stock_kg"].iloc[-1] == pytest.approx(100.0 - 74.04, abs=1e-9)
    # 600 kg of water runs out: 469.08 needed, so no deficit; stock 130.92 kg
    assert s["water_stock_kg"].iloc[-1] == pytest.approx(600.0 - 469.08, abs=1e-9)
    assert k["o2_deficit_kg"] == k["water_deficit_kg"] == k["food_deficit_kg"] == 0.0
    mass = result.balances.set_index("quantity").loc["mass (life support + ISRU)"]
    # out: CO2 119.76 + solid waste 13.08 + waste water 510.48 = 643.32 kg
    assert mass["outflow"] == pytest.approx(643.32, abs=1e-9)
    assert mass["max_step_relative_residual"] <= 8 * EPS


def test_closures_and_isru():
    # o2_closure 0.5 reduces 59.88 kg of CO2 to 59.88 * 31.998 / 44.009 = 43.5375 kg of O2
    # (Bosch CO2 -> C + O2, molar masses); water_recovery 0.9 returns 0.9 * 510.48 = 459.432 kg
    # of the waste water, so the net water draw is 469.08 - 459.432 = 9.648 kg. The ISRU plant
    # (10 kW for 720 h at 0.06 kg/kWh) makes 432 kg of O2 from 8,640 kg of regolith.
    result = simulate_station(
        crewed_station(0.5, 0.9, isru=True), thirty_days(), crew_rates="bvad-2004"
    )
    k, s = result.kpis, result.series
    assert k["o2_recovered_kg"] == pytest.approx(43.5375, abs=1e-4)
    assert k["o2_produced_kg"] == pytest.approx(432.0, abs=1e-9)
    assert s["water_stock_kg"].iloc[-1] == pytest.approx(600.0 - 9.648, abs=1e-9)
    assert s["o2_stock_kg"].iloc[-1] == pytest.approx(200 - 100.2 + 43.5375 + 432.0, abs=1e-4)
    assert result.kpis["max_balance_relative_residual"] <= 1e-13


def test_deficits_when_stocks_run_out_and_power_couples_closure():
    # No power at all: ECLSS processors stop (closure has no effect), 200 kg of O2 lasts
    # 200 / (4 * 0.835) = 59.88 days, so 8 crew for 30 days (200.4 kg) leave 0.4 kg unmet.
    station = crewed_station(0.9, 0.9)
    station["components"][0]["power_w"] = 0.0
    result = simulate_station(station, thirty_days(crew=8.0), crew_rates="bvad-2004")
    assert result.kpis["o2_recovered_kg"] == 0.0
    assert result.kpis["o2_deficit_kg"] == pytest.approx(0.4, abs=1e-9)
    assert result.kpis["max_balance_relative_residual"] <= 1e-13


def test_crew_without_eclss_is_refused():
    with pytest.raises(InputError, match="no eclss component"):
        simulate_station({"components": [{"type": "fission_reactor", "name": "f"}]}, thirty_days())
