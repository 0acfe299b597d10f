"""The manifest programme against hand-worked cases and an independent closed form.

For one commodity the smallest extra mass has a closed form: the largest gap, over the hours,
between what the store needs by then and all the capacity arrived by then. The programme (HiGHS)
must find it, and carry exactly the rest of the largest need.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from moonbase.logistics import COMMODITIES, CRITICAL, Carrier, Demand, fill_manifests
from moonbase.systems.components import CARGO_COMMODITIES

KG = 1e-6  # tolerance of masses, kg
START = pd.Timestamp("2030-01-01")


def _demand(hours: int, draw: dict[str, np.ndarray], *, reserve=None, fixed=None) -> Demand:
    times = pd.date_range(START, periods=hours, freq="h")
    zero = {k: np.zeros(hours) for k in draw}
    return Demand(times, 1.0, draw, {}, fixed or zero, reserve or zero)


def _carrier(name: str, hour: int, capacity_kg: float) -> Carrier:
    arrival = (START + pd.Timedelta(hours=hour)).to_pydatetime()
    return Carrier(name, "LV", ("E",), date(2029, 12, 1), arrival, capacity_kg)


def test_commodities_are_the_twins_stores():
    assert tuple(c.id for c in COMMODITIES) == CARGO_COMMODITIES
    assert CRITICAL == ("o2", "water", "food", "n2")


def test_a_hand_case_short_by_ten_kilograms_at_hour_forty():
    # 1 kg/h of food from hour 10 to hour 109 (100 kg); 30 kg of room arrives at hour 0, 100 kg
    # at hour 50. After hour 39 the store has drawn 30 kg; from hour 40 it needs more than the
    # first flight brought, up to 40 kg at hour 49: 10 kg short, first at hour 40. Those 10 kg,
    # once there, stay in the store, so the second flight brings the other 60 kg of the 100.
    draw = np.zeros(200)
    draw[10:110] = 1.0
    plan = fill_manifests(
        [_carrier("A", 0, 30.0), _carrier("B", 50, 100.0)], _demand(200, {"food": draw})
    )
    assert plan.loads_kg["A"]["food"] == pytest.approx(30.0, abs=KG)
    assert plan.loads_kg["B"]["food"] == pytest.approx(60.0, abs=KG)
    (short,) = plan.shortfalls
    assert short.commodity == "food" and short.mass_kg == pytest.approx(10.0, abs=KG)
    assert short.by_utc == START + pd.Timedelta(hours=40)
    assert plan.status == "short"


def test_the_extra_mass_matches_the_closed_form_on_random_cases():
    rng = np.random.default_rng(11)
    for _ in range(25):
        hours = 300
        draw = rng.uniform(0, 2.0, hours) * (rng.uniform(size=hours) < 0.5)
        reserve = rng.uniform(0, 5.0) * (draw > 0)
        fixed = np.zeros(hours)
        fixed[rng.integers(0, hours)] = rng.uniform(0, 50)
        carriers = [
            _carrier(f"F{i}", int(h), float(c))
            for i, (h, c) in enumerate(
                zip(rng.integers(0, hours, 4), rng.uniform(0, 80, 4), strict=True)
            )
        ]
        demand = _demand(hours, {"water": draw}, reserve={"water": reserve}, fixed={"water": fixed})
        plan = fill_manifests(carriers, demand)
        need = demand.need_kg("water")
        arrived = np.zeros(hours)
        for c in carriers:
            arrived[int((pd.Timestamp(c.arrival) - START) / pd.Timedelta(hours=1))] += c.capacity_kg
        closed_form = max(0.0, float((need - np.cumsum(arrived)).max()))
        extra = sum(s.mass_kg for s in plan.shortfalls)
        assert extra == pytest.approx(closed_form, abs=1e-6)
        # what is carried plus the extra is exactly the largest need (the least mass)
        assert plan.total_kg() + extra == pytest.approx(max(float(need.max()), 0.0), abs=1e-6)
        # and with the manifests and the extra the store never falls below its reserve
        supplied = np.zeros(hours)
        for c in carriers:
            step = int((pd.Timestamp(c.arrival) - START) / pd.Timedelta(hours=1))
            supplied[step] += plan.loads_kg.get(c.flight, {}).get("water", 0.0)
        gap = need - np.cumsum(supplied)
        assert gap.max() <= extra + 1e-6


def test_commodities_share_a_flight_and_the_rest_is_short():
    # 40 kg of O2 and 50 kg of water needed by hour 20, one flight of 60 kg at hour 0:
    # 30 kg cannot come, whichever commodity it is short of.
    o2, water = np.zeros(40), np.zeros(40)
    o2[20], water[20] = 40.0, 50.0
    plan = fill_manifests([_carrier("A", 0, 60.0)], _demand(40, {"o2": o2, "water": water}))
    assert plan.carried_kg("A") == pytest.approx(60.0, abs=KG)
    assert sum(s.mass_kg for s in plan.shortfalls) == pytest.approx(30.0, abs=KG)
    assert all(s.by_utc == START + pd.Timedelta(hours=20) for s in plan.shortfalls)


def test_the_latest_flight_in_time_carries_and_room_already_used_is_left():
    # 10 kg needed at hour 30: flights at hours 0 and 20 both bring it in time; the later one
    # does, so the earlier keeps its room. With the later one already full, the earlier does.
    food = np.zeros(40)
    food[30] = 10.0
    carriers = [_carrier("A", 0, 50.0), _carrier("B", 20, 50.0)]
    plan = fill_manifests(carriers, _demand(40, {"food": food}))
    assert plan.loads_kg == {"B": {"food": pytest.approx(10.0, abs=KG)}}
    plan = fill_manifests(carriers, _demand(40, {"food": food}), used_kg={"B": 50.0})
    assert plan.loads_kg == {"A": {"food": pytest.approx(10.0, abs=KG)}}
    # a flight arriving after the span, or full, carries nothing
    late = _carrier("C", 100, 50.0)
    assert fill_manifests([late], _demand(40, {"food": food})).shortfalls[0].mass_kg == (
        pytest.approx(10.0, abs=KG)
    )


def test_cargo_components_arrive_with_their_flight():
    food = np.zeros(40)
    food[30] = 10.0
    plan = fill_manifests([_carrier("B", 20, 50.0)], _demand(40, {"food": food}))
    (cargo,) = plan.cargo("manifest")
    assert cargo["type"] == "cargo" and cargo["name"] == "manifest:B"
    assert cargo["contents_kg"] == {"food": pytest.approx(10.0, abs=KG)}
    assert pd.Timestamp(cargo["arrival_utc"]) == START + timedelta(hours=20)
    table = plan.table()
    assert table.loc[0, "food_kg"] == pytest.approx(10.0) and table.loc[0, "capacity_kg"] == 50.0
