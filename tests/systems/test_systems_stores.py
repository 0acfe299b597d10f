"""The twin's stores: cargo deliveries, cabin leakage, repairs from the spares store, balances.

Every figure is worked by hand from the inputs (hourly steps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.systems import Drivers, simulate_station
from moonbase.systems.components import CARGO_COMMODITIES, parse_station
from moonbase.systems.failures import availability, draw_up_times, repairs_from_stock

KG = 1.0


def _drivers(hours: int, crew=None, start="2035-01-01") -> Drivers:
    times = pd.date_range(start, periods=hours, freq="h")
    ones = np.ones(hours)
    return Drivers(times, ones, ones * 10.0, ones * 0.0, ones, crew=crew)


def test_repairs_wait_for_spares_first_come_first_served():
    # A fails at 10 h and B at 20 h (no spares of their own, 5 kg a repair, 4 h to repair).
    # 5 kg arrive at 30 h and 5 kg at 50 h: A waits 20 h and is back at 34 h; B waits 30 h for
    # the second delivery and is back at 54 h. Neither fails again (next failure after 1e6 h).
    components = [
        {"up_h": [10.0, 1e6], "start_index": 0, "mttr_h": 4.0, "spares": 0, "spare_mass_kg": 5.0},
        {"up_h": [20.0, 1e6], "start_index": 0, "mttr_h": 4.0, "spares": 0, "spare_mass_kg": 5.0},
    ]
    delivered = np.zeros(100)
    delivered[30] = delivered[50] = 5.0
    record = repairs_from_stock(100, 1.0, components, delivered)
    a, b = record.working
    assert not a[10:34].any() and a[:10].all() and a[34:].all()
    assert not b[20:54].any() and b[:20].all() and b[54:].all()
    assert record.waiting_h == [20.0, 30.0]
    assert record.failures == [1, 1] and record.final == [False, False]
    assert record.drawn_kg[30] == 5.0 and record.drawn_kg[50] == 5.0
    assert record.drawn_kg.sum() == 10.0
    # with one delivery only, B's failure is final: it never gets a spare
    delivered[50] = 0.0
    record = repairs_from_stock(100, 1.0, components, delivered)
    assert record.final == [False, True] and not record.working[1][20:].any()


def test_own_spares_come_first_and_match_the_plain_renewal_process():
    # With the stock never used (no spare mass) the result is availability()'s, draw for draw.
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    working, failures, final = availability(
        5_000, 1.0, mtbf_h=300.0, mttr_h=20.0, spares=3, start_index=100, rng=rng_a
    )
    up = draw_up_times(5_000, 1.0, mtbf_h=300.0, start_index=100, rng=rng_b)
    record = repairs_from_stock(
        5_000,
        1.0,
        [{"up_h": up, "start_index": 100, "mttr_h": 20.0, "spares": 3, "spare_mass_kg": 0.0}],
        np.zeros(5_000),
    )
    assert (record.working[0] == working).all()
    assert record.failures == [failures] and record.final == [final]


def test_cargo_fills_the_stores_on_arrival_and_every_store_balances():
    # 2 crew on board from hour 24 for 48 h; 10 kg of O2 and 100 kg of water arrive at hour 12,
    # 5 kg of make-up gas at hour 30; the cabin leaks 1.2 kg of air a day while crewed.
    hours = 96
    crew = np.zeros(hours)
    crew[24:72] = 2.0
    station = parse_station(
        {
            "components": [
                {"type": "fission_reactor", "name": "f", "power_w": 1000.0},
                {
                    "type": "eclss",
                    "name": "ls",
                    "power_w_per_crew": 0.0,
                    "cabin_leak_kg_per_day": 1.2,
                },
                {
                    "type": "cargo",
                    "name": "a",
                    "contents_kg": {"o2": 10.0, "water": 100.0},
                    "arrival_utc": "2035-01-01T12:00:00",
                },
                {
                    "type": "cargo",
                    "name": "b",
                    "contents_kg": {"n2": 5.0},
                    "arrival_utc": "2035-01-01T06:00:00",
                },
            ]
        }
    )
    result = simulate_station(station, _drivers(hours, crew))
    s, k = result.series, result.kpis
    assert s["o2_delivered_kg"].iloc[12] == 10.0 and s["o2_delivered_kg"].sum() == 10.0
    assert s["n2_delivered_kg"].iloc[6] == 5.0
    assert s["o2_stock_kg"].iloc[11] == 0.0 and s["o2_stock_kg"].iloc[12] == 10.0
    # 2 crew x 2 days: O2 2 x 2 x 0.895 + leak 1.2 x 2 d x 0.231 = 3.58 + 0.5544
    assert k["o2_consumed_kg"] == pytest.approx(3.58 + 1.2 * 2 * 0.231, abs=1e-12 * KG)
    assert k["n2_consumed_kg"] == pytest.approx(1.2 * 2 * 0.769, abs=1e-12 * KG)
    assert s["n2_stock_kg"].iloc[-1] == pytest.approx(5.0 - 1.2 * 2 * 0.769, abs=1e-12 * KG)
    assert k["cargo_delivered_kg"] == 115.0
    assert k["food_deficit_kg"] == pytest.approx(2 * 2 * 1.834, abs=1e-12 * KG)  # no food came
    stores = result.balances.set_index("quantity")
    for key in CARGO_COMMODITIES:
        assert abs(stores.loc[f"{key} store", "residual"]) < 1e-12
    assert k["max_balance_relative_residual"] < 1e-13


def test_the_twin_repairs_from_delivered_spares_and_cutting_the_delivery_makes_failures_final():
    # A load fails about every 500 h over a year; each repair takes 10 kg of spares. With 400 kg
    # of spares delivered on day 1 every failure is repaired; without them the first is final.
    hours = 24 * 365
    base = {
        "type": "load",
        "name": "lab",
        "power_w": 100.0,
        "mtbf_h": 500.0,
        "mttr_h": 24.0,
        "spare_mass_kg": 10.0,
    }
    power = {"type": "fission_reactor", "name": "f", "power_w": 10_000.0}
    spares = {"type": "cargo", "name": "s", "contents_kg": {"spares": 400.0}}
    drivers = _drivers(hours)
    supplied = simulate_station({"components": [power, base, spares]}, drivers, failures=True)
    bare = simulate_station({"components": [power, base]}, drivers, failures=True)
    k = supplied.kpis
    assert k["failures"] > 5 and k["final_failures"] == 0
    assert k["spares_consumed_kg"] == pytest.approx(10.0 * k["failures"])
    assert supplied.series["spares_stock_kg"].iloc[-1] == pytest.approx(
        400.0 - 10.0 * k["failures"]
    )
    assert bare.kpis["failures"] == 1 and bare.kpis["final_failures"] == 1
    served = supplied.series["served_w:lab"].sum()
    assert served > bare.series["served_w:lab"].sum()
