"""Crew stays and life support: BVAD Rev 2 figures, edition by name, scenario -> twin -> science."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from moonbase.errors import InputError
from moonbase.scenario import builtin_scenario, check_scenario
from moonbase.science.adapters import resources_from_systems
from moonbase.systems import BVAD_2004, BVAD_REV2, CREW_RATES, Drivers, simulate_station
from moonbase.systems.adapters import station_from_scenario
from moonbase.systems.drivers import drivers_from_site_series
from moonbase.systems.eclss import CO2_MOLAR_MASS_G, O2_MOLAR_MASS_G, resolve_crew_rates
from moonbase.systems.stage import crew_on_board

KG = 1.0
EPS = np.finfo(float).eps


def test_bvad_rev2_table_3_31_figures_and_mass_balance():
    # NASA/TP-2015-218570 Rev 2 (2022) Table 3-31, nominal crewmember (82 kg, RQ 0.860):
    # O2 0.895; food solids 0.800 + water in food 0.760; potable water 3.217; CO2 load 1.085;
    # solids 0.032 faecal + 0.027 perspiration + 0.061 urine; water 0.101 faecal + 2.946
    # respiration/perspiration + 1.420 urine (kg/CM-d).
    r = BVAD_REV2
    assert (r.o2_kg, r.water_kg, r.co2_kg) == (0.895, 3.217, 1.085)
    assert r.food_kg == pytest.approx(1.560, abs=1e-12 * KG)
    assert r.solid_waste_kg == pytest.approx(0.120, abs=1e-12 * KG)
    assert r.waste_water_kg == pytest.approx(4.467, abs=1e-12 * KG)
    # in 0.895 + 1.560 + 3.217 = 5.672 kg = out 1.085 + 0.120 + 4.467 = 5.672 kg
    assert r.o2_kg + r.food_kg + r.water_kg == pytest.approx(5.672, abs=1e-12 * KG)
    assert r.co2_kg + r.solid_waste_kg + r.waste_water_kg == pytest.approx(5.672, abs=1e-12 * KG)
    # packaging 0.274 (Table 4-40): food as shipped 1.834 ~ the ISS 1.83 kg/CM-d (Table 4-47)
    assert r.packaged_food_kg == pytest.approx(1.834, abs=1e-12 * KG)
    # hygiene 4.09 + 2.73 + 2.48 + 0.49 = 9.79 and laundry 12.50 (NASA RP-1324): 22.29 kg/CM-d
    assert r.hygiene_water_kg == pytest.approx(9.79, abs=1e-12 * KG)
    assert r.grey_water_kg == pytest.approx(22.29, abs=1e-12 * KG)


def test_crew_rates_by_name_default_and_clear_error():
    assert list(CREW_RATES) == ["bvad-rev2", "bvad-2004"]
    assert resolve_crew_rates(None) is BVAD_REV2
    assert resolve_crew_rates("BVAD-2004") is BVAD_2004
    assert resolve_crew_rates(BVAD_2004) is BVAD_2004
    with pytest.raises(InputError, match="valid names: bvad-rev2, bvad-2004") as info:
        resolve_crew_rates("bvad-1999")
    assert info.value.field == "crew_rates"


def _drivers(days=3, crew=2.0) -> Drivers:
    n = days * 24
    return Drivers(
        pd.date_range("2036-03-01", periods=n, freq="h"),
        np.ones(n),
        np.full(n, 5.0),
        np.zeros(n),
        np.ones(n),
        crew=np.full(n, crew),
    )


def _station(o2_closure=0.0, water_recovery=0.0):
    return {
        "components": [
            {"type": "fission_reactor", "name": "fsp", "power_w": 40_000.0},
            {
                "type": "eclss",
                "name": "eclss",
                "o2_closure": o2_closure,
                "water_recovery": water_recovery,
                "initial_o2_kg": 100.0,
                "initial_water_kg": 1000.0,
                "initial_food_kg": 100.0,
            },
        ]
    }


def test_two_crew_three_days_by_hand_with_closures():
    # 2 crew x 3 d = 6 crew-days at BVAD Rev 2 (by hand):
    #   O2 6 x 0.895 = 5.37 kg; food drawn 6 x 1.834 = 11.004 kg (packaging 1.644 kg to trash);
    #   water drawn 6 x (3.217 + 22.29) = 153.042 kg; used water 6 x (4.467 + 22.29) = 160.542 kg.
    # o2_closure 0.5 reduces 0.5 x 6 x 1.085 = 3.255 kg CO2 to 3.255 x 31.998 / 44.009 kg of O2;
    # water_recovery 0.9 returns 0.9 x 160.542 = 144.4878 kg.
    result = simulate_station(_station(0.5, 0.9), _drivers())
    k, s = result.kpis, result.series
    assert k["crew_days"] == pytest.approx(6.0, abs=1e-12)
    assert k["o2_consumed_kg"] == pytest.approx(5.37, abs=1e-9 * KG)
    assert k["food_consumed_kg"] == pytest.approx(11.004, abs=1e-9 * KG)
    assert k["packaging_waste_kg"] == pytest.approx(1.644, abs=1e-9 * KG)
    assert k["water_consumed_kg"] == pytest.approx(153.042, abs=1e-9 * KG)
    assert k["water_recovered_kg"] == pytest.approx(144.4878, abs=1e-9 * KG)
    o2_back = 3.255 * O2_MOLAR_MASS_G / CO2_MOLAR_MASS_G
    assert k["o2_recovered_kg"] == pytest.approx(o2_back, abs=1e-9 * KG)
    assert s["o2_stock_kg"].iloc[-1] == pytest.approx(100.0 - 5.37 + o2_back, abs=1e-9 * KG)
    assert s["water_stock_kg"].iloc[-1] == pytest.approx(1000.0 - 153.042 + 144.4878, abs=1e-9 * KG)
    assert s["food_stock_kg"].iloc[-1] == pytest.approx(100.0 - 11.004, abs=1e-9 * KG)
    assert k["o2_deficit_kg"] == k["water_deficit_kg"] == k["food_deficit_kg"] == 0.0
    mass = result.balances.set_index("quantity").loc["mass (life support + ISRU)"]
    # out: CO2 vented 3.255 + carbon 3.255 - o2_back + brine 160.542 - 144.4878 + solids 0.72
    # + packaging 1.644 (the body is in balance; stocks change by the rest)
    out = 3.255 + (3.255 - o2_back) + (160.542 - 144.4878) + 0.72 + 1.644
    assert mass["outflow"] == pytest.approx(out, abs=1e-9 * KG)
    # whole-run residual: rounding of 72 updates of a 1000 kg stock (~1e-13 kg each) on ~25 kg
    assert mass["relative_residual"] <= 1e-12
    assert mass["max_step_relative_residual"] <= 8 * EPS


def test_grey_water_runs_the_water_stock_dry():
    # open loop, 1000 kg of water, 2 crew x 30 d = 60 crew-days x 25.507 kg = 1530.42 kg drawn:
    # 530.42 kg cannot be met; the mass balance still closes (the deficit counts as supply)
    result = simulate_station(_station(), _drivers(days=30))
    assert result.kpis["water_deficit_kg"] == pytest.approx(530.42, abs=1e-9 * KG)
    assert result.kpis["max_balance_relative_residual"] <= 1e-13


def _site_series(start="2036-03-01", days=40) -> pd.DataFrame:
    n = days * 24
    index = pd.date_range(start, periods=n, freq="h", name="utc")
    return pd.DataFrame(
        {
            "sun_disk_fraction": np.ones(n),
            "sun_elevation_deg": np.full(n, 1.0),
            "sun_azimuth_deg": np.linspace(0, 360, n, endpoint=False),
            "earth_visible": np.ones(n, dtype=bool),
        },
        index=index,
    )


def _run_reference_crew(scenario, arrivals):
    series = _site_series()
    station, _ = station_from_scenario(scenario, arrivals)
    crew = crew_on_board(scenario, arrivals, series.index)
    result = simulate_station(station, drivers_from_site_series(series, crew=crew))
    return station, result


def test_reference_scenario_crew_stay_reaches_the_twin_and_science():
    scenario = builtin_scenario("ilrs-reference")
    lander = next(e for e in scenario.elements if e.id == "LANYUE-2")
    assert (lander.crew, lander.surface_stay_days) == (2, 14.0)
    arrivals = {"LANYUE-2": date(2036, 3, 5), "LANYUE-1": date(2036, 3, 5)}  # -1 is elsewhere
    station, result = _run_reference_crew(scenario, arrivals)
    assert station.get("LANYUE-2:landed").contents_kg["o2"] == lander.landed_o2_kg
    k, s = result.kpis, result.series
    # 2 crew x 14 d = 28 crew-days (by hand), from 2036-03-05 00:00 to 2036-03-19 00:00
    assert k["crew_days"] == pytest.approx(28.0, abs=1e-12)
    on_board = s.index[s["crew"] > 0]
    assert (on_board[0], on_board[-1]) == (
        pd.Timestamp("2036-03-05 00:00"),
        pd.Timestamp("2036-03-18 23:00"),
    )
    # metabolic O2 (BVAD) and the O2 in the cabin air leaked: 0.227 kg/d x 23.1 % x 14 d
    leak_o2 = 0.227 * 0.231 * 14
    assert k["o2_consumed_kg"] == pytest.approx(28 * 0.895 + leak_o2, abs=1e-9 * KG)
    assert k["n2_consumed_kg"] == pytest.approx(0.227 * (1 - 0.231) * 14, abs=1e-9 * KG)
    assert k["water_consumed_kg"] == pytest.approx(28 * (3.217 + 22.29), abs=1e-9 * KG)
    assert k["food_consumed_kg"] == pytest.approx(28 * 1.834, abs=1e-9 * KG)
    # the landed stocks carry the stay with the 1.25 reserve: no deficits, 20 % left (of O2,
    # less the leak's); the make-up gas, which Lanyue-2 does not land, runs short by the leak's
    assert k["o2_deficit_kg"] == k["water_deficit_kg"] == k["food_deficit_kg"] == 0.0
    assert s["o2_stock_kg"].iloc[-1] == pytest.approx(0.25 * 28 * 0.895 - leak_o2, abs=1e-9 * KG)
    assert k["n2_deficit_kg"] == pytest.approx(k["n2_consumed_kg"], abs=1e-9 * KG)
    assert k["max_balance_relative_residual"] <= 1e-13
    # crew time for science only while crew is on board: 28 crew-days x 4 h
    resources = resources_from_systems(result)
    assert sum(resources.crew_time_h) == pytest.approx(28 * 4.0, abs=1e-9)


def test_cutting_the_crew_leaves_no_crew_days_and_no_consumption():
    scenario = builtin_scenario("ilrs-reference")
    elements = [
        e.model_copy(update={"crew": 0}) if e.id == "LANYUE-2" else e for e in scenario.elements
    ]
    no_crew = scenario.model_copy(update={"elements": elements})
    for case, arrivals in (
        (no_crew, {"LANYUE-2": date(2036, 3, 5)}),
        (scenario, {}),  # LANYUE-2 not flown: no stay
    ):
        crew = crew_on_board(case, arrivals, _site_series().index)
        assert crew.sum() == 0.0
    series = _site_series()
    station = {"components": [{"type": "fission_reactor", "name": "f", "power_w": 1000.0}]}
    result = simulate_station(station, drivers_from_site_series(series, crew=0.0))
    assert result.kpis["crew_days"] == 0.0
    assert result.kpis["o2_consumed_kg"] == result.kpis["water_consumed_kg"] == 0.0
    assert sum(resources_from_systems(result).crew_time_h) == 0.0


def test_crewed_site_element_needs_a_stay():
    scenario = builtin_scenario("ilrs-reference")
    elements = [
        e.model_copy(update={"surface_stay_days": None}) if e.id == "LANYUE-2" else e
        for e in scenario.elements
    ]
    problems = check_scenario(scenario.model_copy(update={"elements": elements}))
    texts = [p.message for p in problems]
    assert any(
        "'LANYUE-2' brings 2 crew to the site but has no surface_stay_days" in t for t in texts
    )
    assert not [t for t in (p.message for p in check_scenario(scenario)) if "surface_stay" in t]
