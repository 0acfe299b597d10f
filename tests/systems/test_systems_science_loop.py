"""Science and the twin close a loop: the downlink science gets, and science back on board.

Every expected number is a hand calculation on a small hand-built station (written beside it);
each test fails when its coupling is cut: a constant downlink, a second pass without the
science loads, or science data that never reach the twin's buffer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.science.adapters import resources_from_systems
from moonbase.systems import simulate_station
from moonbase.systems.components import LoadRun, ScheduledLoad
from moonbase.systems.drivers import Drivers

DAYS = 4
N = 24 * DAYS


def _drivers(relay=0.5):
    # Earth in view in the first 12 hours of every day: half the hours
    earth = (np.arange(N) % 24) < 12
    return Drivers(
        pd.date_range("2036-03-01", periods=N, freq="h"),
        np.ones(N),
        np.full(N, 5.0),
        np.zeros(N),
        earth.astype(float),
        relay_available=np.full(N, relay),
    )


def _station(dte=10.0, relay=50.0, housekeeping_mbps=0.0, extra=()):
    components = [
        {"type": "fission_reactor", "name": "fsp", "power_w": 40_000.0},
        {
            "type": "comms_terminal",
            "name": "link",
            "power_w": 100.0,
            "dte_rate_mbps": dte,
            "relay_rate_mbps": relay,
            "buffer_gbit": 200.0,
        },
    ]
    if housekeeping_mbps:
        components.append(
            {"type": "load", "name": "ops", "power_w": 500.0, "data_rate_mbps": housekeeping_mbps}
        )
    return {"components": components + list(extra)}


# one terminal, 10 Mbit/s direct to Earth and 50 Mbit/s by relay; Earth in view 12 h a day,
# relay available half of every hour:
#   12 h x 10 Mbit/s x 3600 s + 24 h x 50 Mbit/s x 0.5 x 3600 s
#   = 432,000 + 2,160,000 = 2,592,000 Mbit per day
HAND_MBIT_PER_DAY = 12 * 10 * 3600 + 24 * 50 * 0.5 * 3600


def test_science_downlink_is_what_the_terminals_and_relays_carry():
    resources = resources_from_systems(simulate_station(_station(), _drivers()))
    assert HAND_MBIT_PER_DAY == 2_592_000
    assert resources.downlink_mbit == pytest.approx([HAND_MBIT_PER_DAY] * DAYS, rel=1e-12)
    assert resources.data_buffer_gbit == 200.0  # the terminal's buffer


def test_science_downlink_is_less_the_housekeeping_data():
    # a 5 Mbit/s housekeeping stream always fits (the link carries >= 25 Mbit/s every hour),
    # so it takes 5 x 3600 x 24 = 432,000 Mbit a day off the science downlink
    result = simulate_station(_station(housekeeping_mbps=5.0), _drivers())
    assert result.kpis["data_lost_gbit"] == 0.0
    resources = resources_from_systems(result)
    expected = HAND_MBIT_PER_DAY - 5 * 3600 * 24
    assert resources.downlink_mbit == pytest.approx([expected] * DAYS, rel=1e-12)


def test_science_downlink_follows_the_terminal_rates_not_a_constant():
    base = resources_from_systems(simulate_station(_station(), _drivers())).downlink_mbit
    doubled = resources_from_systems(
        simulate_station(_station(dte=20.0, relay=100.0), _drivers())
    ).downlink_mbit
    assert np.asarray(doubled) == pytest.approx(2 * np.asarray(base), rel=1e-12)
    no_relay = resources_from_systems(simulate_station(_station(), _drivers(relay=0.0)))
    assert no_relay.downlink_mbit == pytest.approx([12 * 10 * 3600] * DAYS, rel=1e-12)


# two science runs: 300 W for 30 h from day 0 making 40 Gbit, 20 W for 5.5 h from day 2 making
# 8 Gbit; energy 300 x 30 + 20 x 5.5 = 9,110 Wh, data 48 Gbit
RUNS = [
    LoadRun(start_utc="2036-03-01T00:00:00Z", duration_h=30.0, power_w=300.0, data_volume_gbit=40),
    LoadRun(start_utc="2036-03-03T06:30:00Z", duration_h=5.5, power_w=20.0, data_volume_gbit=8),
]


def _two_passes(**station):
    drivers = _drivers()
    first = simulate_station(_station(**station), drivers)
    science = ScheduledLoad(name="science", runs=RUNS)
    second = simulate_station(_station(**station, extra=[science.model_dump()]), drivers)
    return first, second


def test_science_loads_raise_the_energy_demand_by_their_runs():
    first, second = _two_passes(housekeeping_mbps=5.0)
    extra_kwh = second.kpis["energy_demand_kwh"] - first.kpis["energy_demand_kwh"]
    assert extra_kwh == pytest.approx((300 * 30 + 20 * 5.5) / 1000.0, rel=1e-12)
    assert second.kpis["science_energy_demand_kwh"] == pytest.approx(9.11, rel=1e-12)
    assert second.kpis["science_energy_not_served_kwh"] == 0.0
    # the half-hour start: step 54 carries 0.5 h of the 20 W run, a mean of 10 W
    served = second.series["served_w:science"].to_numpy()
    assert served[54] == pytest.approx(10.0) and served[55] == pytest.approx(20.0)
    assert second.kpis["max_balance_relative_residual"] < 1e-12


def test_science_data_reach_the_twins_buffer_and_go_down():
    first, second = _two_passes(housekeeping_mbps=5.0)
    housekeeping = 5 * 3600 * N / 1000.0  # Gbit, as in the first pass
    assert first.kpis["data_generated_gbit"] == pytest.approx(housekeeping, rel=1e-12)
    assert second.kpis["science_data_generated_gbit"] == pytest.approx(48.0, rel=1e-12)
    assert second.kpis["data_generated_gbit"] == pytest.approx(housekeeping + 48.0, rel=1e-12)
    # the link leaves >= 20 Mbit/s after housekeeping every hour: all 48 Gbit go down
    assert second.kpis["science_data_delivered_gbit"] == pytest.approx(48.0, rel=1e-12)
    assert second.kpis["science_data_lost_gbit"] == 0.0
    # housekeeping goes first: its delivery is that of the first pass, hour by hour
    kept = second.series["data_delivered_gbit"] - second.series["science_data_delivered_gbit"]
    np.testing.assert_allclose(kept, first.series["data_delivered_gbit"], rtol=1e-12)
    assert second.kpis["max_balance_relative_residual"] < 1e-12


def test_science_data_beyond_the_buffer_are_lost_and_the_balance_closes():
    # no relay: the 40 Gbit run makes 40/30 Gbit/h; in hours 12-23 Earth is hidden, so 16 Gbit
    # wait, 1 Gbit fits the buffer and 15 Gbit are lost (the DTE's 36 Gbit/h carries the rest)
    drivers = _drivers(relay=0.0)
    station = _station()
    station["components"][1]["buffer_gbit"] = 1.0
    station["components"].append(ScheduledLoad(name="science", runs=RUNS[:1]).model_dump())
    result = simulate_station(station, drivers)
    k = result.kpis
    assert k["science_data_lost_gbit"] == pytest.approx(15.0, rel=1e-12)
    assert k["science_data_delivered_gbit"] == pytest.approx(25.0, rel=1e-12)
    assert k["science_data_generated_gbit"] == pytest.approx(
        k["science_data_delivered_gbit"]
        + k["science_data_lost_gbit"]
        + result.series["data_buffer_gbit"].iloc[-1],
        rel=1e-12,
    )
    assert k["max_balance_relative_residual"] < 1e-12


def test_a_bad_run_names_its_field():
    from moonbase.errors import InputError
    from moonbase.systems import parse_station

    bad = {"type": "scheduled_load", "name": "s", "runs": [{"start_utc": "2036-03-01T00:00:00Z"}]}
    bad["runs"][0]["duration_h"] = 0
    with pytest.raises(InputError) as error:
        parse_station({"components": [bad]})
    assert error.value.field == "components[0].runs[0].duration_h"
