"""Adapters: hourly series to buckets, and the built-in scenario's experiments to requests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.errors import InputError
from moonbase.science.adapters import requests_from_scenario, resample_resources
from moonbase.science.instance import build_instance
from moonbase.science.models import SchedulingProblem


def test_resample_hourly_to_days():
    index = pd.date_range("2031-01-01", periods=72, freq="h")
    power = np.full(72, 1000.0)
    power[30] = 200.0  # a one-hour dip on day 2 limits that whole day
    sunlit = np.ones(72, dtype=bool)
    sunlit[60] = False  # one dark hour closes day 3
    frame = pd.DataFrame(
        {
            "power_w": power,
            "downlink_mbit": np.full(72, 500.0),
            "crew_time_h": np.full(72, 0.25),
            "robot_time_h": np.full(72, 1.0),
            "sunlit": sunlit,
        },
        index=index,
    )
    res = resample_resources(frame, bucket_hours=24.0, windows=("sunlit",))
    assert res.power_w == [1000.0, 200.0, 1000.0]
    assert res.downlink_mbit == [12_000.0] * 3
    assert res.crew_time_h == [6.0] * 3
    assert res.robot_time_h == [24.0] * 3
    assert res.windows["sunlit"] == [True, True, False]
    assert res.start_utc == "2031-01-01T00:00:00"
    with pytest.raises(InputError, match="whole number"):
        resample_resources(frame, bucket_hours=36.5)


def test_builtin_scenario_experiments_become_requests():
    scenario_module = pytest.importorskip("moonbase.scenario")
    scenario = scenario_module.builtin_scenario()
    partners, requests = requests_from_scenario(scenario)
    assert len(requests) == len(scenario.experiments) > 0
    assert {p.id for p in partners} == {p.id for p in scenario.partners}
    for request, experiment in zip(requests, scenario.experiments, strict=True):
        assert request.data_volume_gbit == pytest.approx(experiment.data_volume_gbit)
        assert 1 <= request.priority <= 5
    entitled = [p.entitlement for p in partners if p.entitlement is not None]
    if entitled:
        assert sum(entitled) == pytest.approx(1.0, abs=1e-12)
    from moonbase.science.synthetic import synthetic_resources

    resources = synthetic_resources(365)
    windows = dict(resources.windows)
    windows["earth_hidden"] = [not w for w in windows["earth_in_view"]]
    resources = resources.model_copy(update={"windows": windows})
    problem = SchedulingProblem(partners=partners, requests=requests, resources=resources)
    instance = build_instance(problem)
    # every request is either scheduled-able or rejected with a reason
    rejected = {r.request_id for r in instance.rejections}
    assert len(instance.requests) + len(rejected) == len(requests)


def test_scenario_entitlements_follow_landed_mass_and_element_windows_open_on_arrival():
    """Reference scenario: no contribution values, so entitlements follow the landed mass of each
    partner's surface elements (summed here from the scenario directly); an experiment that needs
    an element may run only once that element operates."""
    from datetime import date

    from moonbase.scenario import builtin_scenario
    from moonbase.science.adapters import (
        requests_from_scenario,
        resample_resources,
        with_element_windows,
    )

    scenario = builtin_scenario()
    partners, requests = requests_from_scenario(scenario)
    mass = {}
    for e in scenario.elements:
        if e.location == "site" and e.state != "failed":
            mass[e.partner] = mass.get(e.partner, 0.0) + (e.landed_mass_kg or 0.0)
    total = sum(mass.values())
    for p in partners:
        assert p.entitlement == pytest.approx(mass.get(p.id, 0.0) / total, abs=1e-12)
    hopper = next(r for r in requests if r.id == "ILRS4-HOPPER-DEMO")
    assert "element:ILRS-4" in hopper.windows and hopper.depends_on == ()

    hours = pd.date_range("2034-12-30", periods=24 * 4, freq="h")
    frame = pd.DataFrame(
        {"power_w": 1.0, "downlink_mbit": 1.0, "crew_time_h": 0.0, "robot_time_h": 1.0}, index=hours
    )
    resources = resample_resources(frame, bucket_hours=24.0)
    opened = with_element_windows(resources, scenario, {"ILRS-4": date(2035, 1, 1)})
    assert opened.windows["element:ILRS-4"] == [False, False, True, True]
    assert opened.windows["element:ILRS-5"] == [False] * 4  # not flown: never opens


def test_resources_from_the_station_twin():
    # Three days of a reactor-powered station with 4 crew; Earth is in view for the first 36 h.
    from moonbase.science.adapters import resources_from_systems
    from moonbase.systems import simulate_station
    from moonbase.systems.drivers import Drivers

    n = 72
    earth = np.arange(n) < 36
    drivers = Drivers(
        pd.date_range("2036-03-01", periods=n, freq="h"),
        np.ones(n),
        np.full(n, 5.0),
        np.zeros(n),
        earth.astype(float),
        crew=np.full(n, 4.0),
    )
    station = {
        "components": [
            {"type": "fission_reactor", "name": "fsp", "power_w": 40_000.0},
            {
                "type": "eclss",
                "name": "eclss",
                "initial_o2_kg": 200.0,
                "initial_water_kg": 600.0,
                "initial_food_kg": 100.0,
            },
            {
                "type": "comms_terminal",
                "name": "dte",
                "power_w": 200.0,
                "dte_rate_mbps": 100.0,
                "buffer_gbit": 500.0,
            },
        ]
    }
    resources = resources_from_systems(simulate_station(station, drivers))
    # the terminal's 100 Mbit/s while Earth is in view (360,000 Mbit an hour): 24 h, 12 h, none
    assert resources.downlink_mbit == pytest.approx([8_640_000.0, 4_320_000.0, 0.0])
    assert resources.windows["earth_in_view"] == [True, False, False]
    assert resources.windows["earth_hidden"] == [False, False, True]
    assert resources.crew_time_h == pytest.approx([16.0] * 3)  # 4 crew x 4 science hours
    assert resources.data_buffer_gbit == 500.0  # the terminal's buffer
    assert (
        resources_from_systems(
            simulate_station(station, drivers), data_buffer_gbit=0.0
        ).data_buffer_gbit
        == 0.0
    )


def test_experiments_hosted_away_from_the_station_are_named_with_the_reason():
    from moonbase.scenario import builtin_scenario
    from moonbase.science.adapters import off_station_experiments

    scenario = builtin_scenario()
    off = off_station_experiments(scenario)
    where = {e.id: e.location for e in scenario.elements}
    for experiment in scenario.experiments:
        away = any(where.get(r, "site") != "site" for r in experiment.requires)
        assert (experiment.id in off) == away, experiment.id
    assert off["CE7-ITALY-RETROREFLECTOR"] == "on CE-7 at CE7-TARGET, not at the station"
    # Every station experiment waits for a station element.
    station = [e for e in scenario.experiments if e.id not in off]
    assert station and all(any(where[r] == "site" for r in e.requires) for e in station)
