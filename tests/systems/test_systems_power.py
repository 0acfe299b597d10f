"""Power: analytic storage sizing, dispatch priorities, PV incidence, energy conservation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.errors import InputError
from moonbase.systems import (
    Drivers,
    battery_capacity_for_night_wh,
    reference_station,
    simulate_station,
    size_component,
)
from moonbase.systems.power import PV_MODELS, dispatch, resolve_pv_model

EPS = np.finfo(float).eps


def day_night_drivers(night_h: int, day_h: int, cycles: int, *, start_dark=True) -> Drivers:
    """Square-wave illumination: ``night_h`` hours of darkness then ``day_h`` of full Sun."""
    period = (
        np.r_[np.zeros(night_h), np.ones(day_h)]
        if start_dark
        else np.r_[np.ones(day_h), np.zeros(night_h)]
    )
    fraction = np.tile(period, cycles)
    n = fraction.size
    return Drivers(
        times_utc=pd.date_range("2030-01-01", periods=n, freq="h"),
        sun_fraction=fraction,
        sun_elevation_deg=np.full(n, 10.0),
        sun_azimuth_deg=np.zeros(n),
        earth_visible=np.ones(n),
    )


def night_station(capacity_wh, *, load_w=1000.0, rt=0.81, dod=0.8):
    return {
        "components": [
            {
                "type": "solar_array",
                "name": "pv",
                "rated_power_w": 50_000.0,
                "mount": "tracking",
                "degradation_per_year": 0.0,
            },
            {
                "type": "battery",
                "name": "bat",
                "capacity_wh": capacity_wh,
                "round_trip_efficiency": rt,
                "depth_of_discharge": dod,
            },
            {"type": "load", "name": "survival", "power_w": load_w, "priority": 1},
        ]
    }


def test_analytic_battery_for_fixed_night():
    # Constant 1 kW through a 354 h night (half a synodic month, 29.53 d / 2 = 354.4 h),
    # round trip 0.81 (0.9 each way), 80 % depth of discharge, starting full:
    # C = P t / (sqrt(rt) DoD) = 1000 * 354 / (0.9 * 0.8) = 491,666.67 Wh (by hand).
    capacity = battery_capacity_for_night_wh(
        1000.0, 354, round_trip_efficiency=0.81, depth_of_discharge=0.8
    )
    assert capacity == pytest.approx(491_666.666_667, abs=1e-3)
    drivers = day_night_drivers(354, 354, 3)
    ok = simulate_station(night_station(capacity), drivers)
    assert ok.kpis["critical_energy_not_served_kwh"] <= 1e-9
    # the state of charge touches the depth-of-discharge floor (0.2) at the end of each night
    assert ok.series["soc:bat"].min() == pytest.approx(0.2, abs=1e-12)
    # ... so at the end of the longest darkness nothing is left to survive on
    assert ok.kpis["survival_margin_after_longest_darkness_h"] == pytest.approx(0.0, abs=1e-9)
    short = simulate_station(night_station(capacity * (1 - 1e-3)), drivers)
    # 0.1 % less capacity leaves 0.1 % of the usable energy short in each of the 3 nights:
    # 3 * 1e-3 * 354 kWh = 1.062 kWh not served (the day refills the battery each time)
    assert short.kpis["critical_energy_not_served_kwh"] == pytest.approx(1.062, rel=1e-6)


def test_bisection_finds_the_analytic_capacity():
    drivers = day_night_drivers(100, 100, 2)
    exact = battery_capacity_for_night_wh(
        2000.0, 100, round_trip_efficiency=0.64, depth_of_discharge=0.5
    )  # 2e5/(0.8*0.5) = 500 kWh
    result = size_component(
        night_station(1e5, load_w=2000.0, rt=0.64, dod=0.5), drivers, "bat", margin=0.25, rtol=1e-4
    )
    assert result.minimum == pytest.approx(exact, rel=2e-4)
    assert result.minimum >= exact * (1 - 1e-12)
    assert result.with_margin == pytest.approx(1.25 * result.minimum)


def test_load_shedding_serves_priorities_in_order():
    # 3 kW of demand (1 kW each at priorities 1, 2, 3) against 1.5 kW of fission, no storage:
    # priority 1 gets all, priority 2 half, priority 3 nothing.
    drivers = day_night_drivers(10, 10, 1)
    station = {
        "components": [
            {"type": "fission_reactor", "name": "fsp", "power_w": 1500.0},
            {"type": "load", "name": "c", "power_w": 1000.0, "priority": 3},
            {"type": "load", "name": "a", "power_w": 1000.0, "priority": 1},
            {"type": "load", "name": "b", "power_w": 1000.0, "priority": 2},
        ]
    }
    result = simulate_station(station, drivers)
    s = result.series
    assert np.all(s["served_w:a"] == 1000.0)
    assert np.all(s["served_w:b"] == 500.0)
    assert np.all(s["served_w:c"] == 0.0)
    assert result.kpis["hours_in_load_shed"] == 20.0
    assert result.kpis["energy_not_served_kwh"] == pytest.approx(1.5 * 20)
    assert result.kpis["critical_energy_not_served_kwh"] == 0.0


def test_pv_incidence_models_against_geometry():
    el = np.array([0.0, 30.0, 60.0, 30.0])
    az = np.array([0.0, 0.0, 0.0, 180.0])
    # cos(incidence) by hand: vertical panel facing north (az 0): cos(el) when the Sun is in
    # front, 0 behind; horizontal fixed panel: sin(el); vertical tracking: cos(el).
    np.testing.assert_allclose(
        PV_MODELS["vertical"](el, az, 90.0, 0.0), [1.0, np.sqrt(3) / 2, 0.5, 0.0], atol=1e-15
    )
    np.testing.assert_allclose(
        PV_MODELS["fixed"](el, az, 0.0, 0.0), [0.0, 0.5, np.sqrt(3) / 2, 0.5], atol=1e-15
    )
    np.testing.assert_allclose(
        PV_MODELS["vertical_tracking"](el, az, 90.0, 0.0),
        [1.0, np.sqrt(3) / 2, 0.5, np.sqrt(3) / 2],
        atol=1e-15,
    )
    # fixed panel tilted 30 deg facing the Sun at elevation 60 deg: normal incidence
    assert PV_MODELS["fixed"](60.0, 0.0, 30.0, 0.0) == pytest.approx(1.0, abs=1e-15)


def test_pv_model_inference_and_errors():
    assert resolve_pv_model(None, tilt_deg=90.0) is PV_MODELS["vertical"]
    assert resolve_pv_model(None, tilt_deg=20.0) is PV_MODELS["fixed"]
    with pytest.raises(InputError, match="vertical_tracking") as error:
        resolve_pv_model("sideways", field="pv.mount")
    assert error.value.field == "pv.mount"
    drivers = day_night_drivers(5, 5, 1)
    station = night_station(1e4)
    station["components"][0]["mount"] = "bogus"
    with pytest.raises(InputError, match="unknown PV model 'bogus'"):
        simulate_station(station, drivers)
    # a callable overrides every array: a panel at 0.5 x rated in full Sun
    half = simulate_station(station, drivers, pv_model=lambda el, az, tilt, azp: 0.5 + 0 * el)
    assert half.series["pv_w"].max() == pytest.approx(25_000.0)


def test_pv_degradation_compounds_per_year():
    n = 2 * 8766 + 1  # two Julian years of hourly steps
    drivers = Drivers(
        pd.date_range("2030-01-01", periods=n, freq="h"),
        np.ones(n),
        np.full(n, 5.0),
        np.zeros(n),
        np.ones(n),
    )
    station = {
        "components": [
            {
                "type": "solar_array",
                "name": "pv",
                "rated_power_w": 1000.0,
                "mount": "tracking",
                "degradation_per_year": 0.02,
            }
        ]
    }
    pv = simulate_station(station, drivers).series["pv_w"].to_numpy()
    # after 2 years (17532 h): 1000 * 0.98^2 = 960.4 W
    assert pv[-1] == pytest.approx(960.4, abs=1e-9)


def test_energy_and_mass_close_to_machine_precision():
    # A mixed 30-component station, random failures, a year of real Sun/Earth (flat horizon,
    # DE421) at a polar ridge stand-in: every balance must close to rounding error.
    from moonbase.systems import flat_horizon_drivers

    drivers = flat_horizon_drivers(
        -89.45,
        222.69,
        "2034-06-01",
        "2035-06-01",
        "1h",
        horizon_deg=-1.5,
        crew=4,
        relay_available=0.3,
    )
    station = reference_station(n_science=20)
    assert len(station.components) == 30
    result = simulate_station(station, drivers, failures=True, seed=7)
    assert result.kpis["failures"] > 0
    b = result.balances.set_index("quantity")
    # step by step each balance holds to a few ulp of the quantities involved
    assert (b["max_step_relative_residual"] <= 8 * EPS).all(), b
    # whole-run totals (compensated sums) carry the rounding of the running stocks, at most
    # about one ulp per step: bound n_steps * eps relative (8,761 steps: 1.9e-12)
    assert (b["relative_residual"] <= len(drivers) * EPS).all(), b
    # every unit of generation is accounted for: served + curtailed + losses + stored change
    s = result.series
    generated = (s["pv_w"] + s["fission_w"]).sum()
    accounted = s["served_w"].sum() + s["curtailed_w"].sum() + s["storage_loss_w"].sum()
    stored_change = s["stored_wh"].iloc[-1] - (600_000.0 + 1_000_000.0)  # both start full
    assert generated == pytest.approx(accounted + stored_change, rel=1e-12)


def test_dispatch_respects_power_limits_and_floor():
    gen = np.zeros(5)
    demand = np.full((1, 5), 100.0)
    out = dispatch(
        gen,
        demand,
        capacity_wh=[300.0],
        depth_of_discharge=[0.5],
        round_trip_efficiency=[1.0],
        initial_soc=[1.0],
        max_discharge_wh=[60.0],
    )
    # 60 Wh/step limit until the floor (150 Wh) is reached: 60, 60, 30, 0, 0
    np.testing.assert_allclose(out["discharge_wh"][0], [60, 60, 30, 0, 0])
    np.testing.assert_allclose(out["stored_wh"][0], [300, 240, 180, 150, 150, 150])
