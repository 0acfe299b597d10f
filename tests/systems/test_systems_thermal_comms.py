"""Thermal node and communications buffer against hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.errors import InputError
from moonbase.systems import Drivers, simulate_station
from moonbase.systems.comms import buffer_flow

EPS = np.finfo(float).eps


def drivers(fraction, earth=None, relay=None) -> Drivers:
    fraction = np.asarray(fraction, dtype=float)
    n = fraction.size
    return Drivers(
        pd.date_range("2030-01-01", periods=n, freq="h"),
        fraction,
        np.full(n, 5.0),
        np.zeros(n),
        np.ones(n) if earth is None else earth,
        relay_available=relay,
    )


def habitat_station(**changes):
    habitat = {
        "type": "habitat",
        "name": "hab",
        "power_w": 1000.0,
        "heat_capacity_j_per_k": 1.0e7,
        "conductance_w_per_k": 20.0,
        "setpoint_c": 5.0,
        "dark_sink_c": -180.0,
        "lit_sink_c": 20.0,
    }
    habitat.update(changes)
    return {
        "components": [{"type": "fission_reactor", "name": "fsp", "power_w": 40_000.0}, habitat]
    }


def test_survival_heater_through_a_354_hour_night():
    # Held at the 5 C set point against a -180 C sink through G = 20 W/K, with 1 kW of
    # internal heat, the heater supplies G (T_set - T_dark) - P = 20 * 185 - 1000 = 2,700 W;
    # through a 354 h night that is 955.8 kWh (by hand).
    result = simulate_station(habitat_station(), drivers(np.zeros(354)))
    heater = result.series["heater_w:hab"].to_numpy()
    np.testing.assert_allclose(heater, 2700.0, rtol=1e-12)
    assert result.kpis["heater_energy_kwh"] == pytest.approx(955.8, rel=1e-12)
    np.testing.assert_allclose(result.series["temperature_c:hab"], 5.0, atol=1e-9)


def test_free_cooling_follows_the_exponential_and_heat_balances():
    # No heater (max 0), no internal heat: T relaxes to the sink. Explicit steps give
    # T_n = T_sink + (T_0 - T_sink) (1 - G dt / C)^n; with G dt / C = 20*3600/1e7 = 0.0072 the
    # continuous solution exp(-n G dt / C) differs by < 0.3 K over 100 h.
    result = simulate_station(
        habitat_station(power_w=0.0, heater_max_w=0.0, initial_temperature_c=20.0),
        drivers(np.zeros(100)),
    )
    temp = result.series["temperature_c:hab"].to_numpy()
    n = np.arange(1, 101)
    np.testing.assert_allclose(temp, -180 + 200 * (1 - 0.0072) ** n, rtol=1e-12)
    assert abs(temp[-1] - (-180 + 200 * np.exp(-0.72))) < 0.3
    heat = result.balances.set_index("quantity").loc["heat in hab"]
    assert heat["max_step_relative_residual"] <= 8 * EPS


def test_unstable_thermal_step_is_refused():
    with pytest.raises(InputError, match="unstable") as error:
        simulate_station(habitat_station(heat_capacity_j_per_k=1e4), drivers(np.zeros(3)))
    assert "heat_capacity_j_per_k" in error.value.field


def test_buffer_by_hand():
    # generated 5 per step; downlink 0, 0, 20, 0; buffer 8:
    # step 1: 5 kept; step 2: 10 -> 2 lost, 8 kept; step 3: 13 -> 13 sent; step 4: 5 kept.
    out = buffer_flow([5, 5, 5, 5], [0, 0, 20, 0], 8.0)
    np.testing.assert_array_equal(out["delivered_gbit"], [0, 0, 13, 0])
    np.testing.assert_array_equal(out["lost_gbit"], [0, 2, 0, 0])
    np.testing.assert_array_equal(out["buffer_gbit"], [0, 5, 8, 0, 5])


def test_direct_to_earth_and_relay_windows():
    # 10 Mbps of science for 48 h = 1,728 Gbit. DTE 50 Mbps for the 24 h Earth is up
    # (4,320 Gbit of capacity), relay 5 Mbps for 12 h while it is down (216 Gbit).
    earth = np.r_[np.zeros(24), np.ones(24)]
    relay = np.r_[np.zeros(12), np.ones(12), np.zeros(24)]
    station = {
        "components": [
            {"type": "fission_reactor", "name": "fsp", "power_w": 10_000.0},
            {"type": "load", "name": "camera", "power_w": 100.0, "data_rate_mbps": 10.0},
            {
                "type": "comms_terminal",
                "name": "dte",
                "power_w": 100.0,
                "dte_rate_mbps": 50.0,
                "relay_rate_mbps": 5.0,
                "buffer_gbit": 1e6,
            },
        ]
    }
    result = simulate_station(station, drivers(np.ones(48), earth, relay))
    k = result.kpis
    assert k["data_generated_gbit"] == pytest.approx(1728.0, rel=1e-12)
    # hours 0-11 send nothing; relay hours 12-23 send 18 Gbit each (216 in all), so 864 - 216
    # = 648 Gbit wait at hour 24 and go out with the first DTE hours (180 Gbit/h)
    assert k["data_delivered_gbit"] == pytest.approx(1728.0, rel=1e-12)
    assert result.series["data_buffer_gbit"].iloc[23] == pytest.approx(864 - 216, rel=1e-12)
    # by path: 216 Gbit through the relay, the remaining 1,512 Gbit direct to Earth
    assert k["data_delivered_relay_gbit"] == pytest.approx(216.0, rel=1e-12)
    assert k["data_delivered_dte_gbit"] == pytest.approx(1512.0, rel=1e-12)
    assert k["data_lost_gbit"] == 0.0


def test_compensated_sum_matches_exact_fsum():
    import math

    from moonbase.systems._sums import compensated_sum

    rng = np.random.default_rng(0)
    x = rng.normal(size=200_000) * 10.0 ** rng.integers(-8, 8, 200_000)
    exact = math.fsum(x)
    assert abs(compensated_sum(x) - exact) <= 4 * EPS * abs(exact)
