"""The science schedule goes back on board: a second twin pass with its runs as loads and data.

A small hand-built station (a reactor, one terminal, ten days with Earth in view 12 h a day)
and three requests scheduled by the greedy baseline on the twin's resources; the second pass
with the schedule on board must show the schedule's energy and data, and agree with the
science side on the data sent down.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.science.adapters import resources_from_systems
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import build_instance
from moonbase.science.models import ExperimentRequest, Partner, SchedulingProblem
from moonbase.science.stage import ScienceResult
from moonbase.spine import UNMET_KEYS, unmet_needs
from moonbase.systems import simulate_station
from moonbase.systems.drivers import Drivers
from moonbase.systems.stage import StationRun, run_station_with

DAYS = 10
N = 24 * DAYS


def _first_pass(battery_wh=None, pv=False):
    earth = (np.arange(N) % 24) < 12
    drivers = Drivers(
        pd.date_range("2036-03-01", periods=N, freq="h"),
        np.ones(N),
        np.full(N, 5.0),
        np.zeros(N),
        earth.astype(float),
    )
    components = [
        {"type": "fission_reactor", "name": "fsp", "power_w": 2_000.0},
        {"type": "load", "name": "core", "power_w": 1_000.0, "priority": 1, "data_rate_mbps": 0.1},
        {
            "type": "comms_terminal",
            "name": "link",
            "power_w": 100.0,
            "dte_rate_mbps": 1.0,  # 3.6 Gbit an hour while Earth is in view
            "buffer_gbit": 100.0,
        },
    ]
    station = {"components": components}
    return StationRun(
        station=_parse(station), simulation=simulate_station(station, drivers), notes=()
    )


def _parse(station):
    from moonbase.systems.components import parse_station

    return parse_station(station)


def _science(run, requests):
    partners = (Partner(id="A", entitlement=0.6), Partner(id="B", entitlement=0.4))
    problem = SchedulingProblem(
        partners=partners,
        requests=tuple(requests),
        resources=resources_from_systems(run.simulation),
    )
    instance = build_instance(problem)
    return ScienceResult(instance, {"greedy": schedule_greedy(instance)}, chosen="greedy")


REQUESTS = (
    # 300 W for 36 h (two buckets), 30 Gbit, twice
    ExperimentRequest(
        id="seis",
        partner="A",
        category="basic_science",
        duration_h=36.0,
        power_w=300.0,
        data_volume_gbit=30.0,
        repeats=2,
    ),
    # 150 W for 24 h, 40 Gbit
    ExperimentRequest(
        id="cam",
        partner="B",
        category="basic_science",
        duration_h=24.0,
        power_w=150.0,
        data_volume_gbit=40.0,
    ),
)


def test_the_second_pass_carries_the_schedules_energy_and_data():
    first = _first_pass()
    science = _science(first, REQUESTS)
    runs = science.schedule.assignments
    assert len(runs) == 3
    second = run_station_with(first, [science.station_load()])
    by_id = {r.id: r for r in REQUESTS}
    # hand: 2 x 300 W x 36 h + 150 W x 24 h = 21,600 + 3,600 = 25,200 Wh
    energy_wh = sum(by_id[a.request_id].power_w * by_id[a.request_id].duration_h for a in runs)
    assert energy_wh == 25_200.0
    extra = second.kpis["energy_demand_kwh"] - first.kpis["energy_demand_kwh"]
    assert extra == pytest.approx(energy_wh / 1000.0, rel=1e-12)
    # hand: 30 + 30 + 40 = 100 Gbit of science data, plus the housekeeping 0.1 Mbit/s
    housekeeping = 0.1 * 3600 * N / 1000.0
    assert science.data_made_gbit() == 100.0
    assert second.kpis["science_data_generated_gbit"] == pytest.approx(100.0, rel=1e-12)
    assert second.kpis["data_generated_gbit"] == pytest.approx(housekeeping + 100.0, rel=1e-12)
    assert first.kpis["data_generated_gbit"] == pytest.approx(housekeeping, rel=1e-12)
    assert second.kpis["max_balance_relative_residual"] < 1e-12
    assert unmet_needs(first, second) == ()


def test_the_science_and_systems_sides_agree_on_the_data_sent_down():
    first = _first_pass()
    science = _science(first, REQUESTS)
    second = run_station_with(first, [science.station_load()])
    sent = science.data_sent_gbit()
    delivered = second.kpis["science_data_delivered_gbit"]
    # within the rounding of the daily buckets (ScienceResult.data_sent_tolerance_gbit)
    assert abs(sent - delivered) <= science.data_sent_tolerance_gbit()
    assert science.data_sent_tolerance_gbit() < 0.1  # 5 run-buckets x 1 Mbit, no last-day run
    assert delivered == pytest.approx(100.0, rel=1e-9)


def test_a_second_pass_that_does_not_close_is_reported():
    first = _first_pass()
    science = _science(first, REQUESTS)
    # the same runs on a station whose buffer holds 1 Gbit: science data are lost
    small = first.station.replace("link", buffer_gbit=1.0)
    tight = StationRun(small, simulate_station(small, first.simulation.drivers), ())
    second = run_station_with(tight, [science.station_load()])
    needs = unmet_needs(tight, second)
    assert [n["need"] for n in needs] == ["science data"]
    assert set(needs[0]) == set(UNMET_KEYS)
    assert needs[0]["amount"] == pytest.approx(second.kpis["science_data_lost_gbit"])
    assert needs[0]["amount"] > 1.0
    # science loads at survival priority on a reactor that cannot carry them: critical energy
    hungry = science.station_load(priority=1)
    over = run_station_with(
        first,
        [
            hungry.model_copy(
                update={"runs": [r.model_copy(update={"power_w": 5_000.0}) for r in hungry.runs]}
            )
        ],
    )
    kinds = {n["need"] for n in unmet_needs(first, over)}
    assert "critical energy" in kinds
