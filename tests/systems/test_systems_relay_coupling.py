"""The orbit stage's relays feed the twin's comms (:func:`moonbase.systems.stage.run_station`).

A small case built by hand (no site search, no campaign solve): the reference scenario's
ILRS-1 (the station's comms terminal, notional 50 Mbit/s by relay) with Queqiao-2 (flown) and
Luna-26 (arriving mid-span), a stand-in for the site stage's chosen cell (its hourly series,
coordinates and a level 1.5 deg terrain horizon) and a stand-in for the campaign's arrivals.
The twin's ``relay_available`` must equal the relay series computed here directly, agree with
an independent window search (:func:`moonbase.windows.find_windows` on
:func:`moonbase.orbit.relays.relay_link`, exact geometry, edges bisected to 1 s), vanish when
the relay elements are taken out, and carry data when the Earth is out of view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from moonbase.orbit.relays import relay_availability, relay_link
from moonbase.scenario import builtin_scenario
from moonbase.systems.components import Station
from moonbase.systems.simulate import simulate_station
from moonbase.systems.stage import run_station
from moonbase.time import parse_utc, tdb_seconds
from moonbase.windows import find_windows

START, STOP = "2031-03-01", "2031-03-06"
LUNA26_ARRIVES = date(2031, 3, 3)
HOUR_S = 3600.0


@dataclass(frozen=True)
class HandSite:
    """What run_station reads of a SiteChoice: the cell and its hourly series."""

    series: pd.DataFrame
    latitude_deg: float = -89.4540
    longitude_deg: float = 223.0419
    ground_m: float = 1873.25
    mast_height_m: float = 2.0
    horizon_deg: np.ndarray = None  # set in hand_site


@dataclass(frozen=True)
class HandCampaign:
    plan: dict

    def arrivals(self) -> dict:
        return dict(self.plan)


def hand_site() -> HandSite:
    times = pd.date_range(START, STOP, freq="h", tz="UTC", inclusive="left")
    n = len(times)
    series = pd.DataFrame(
        {
            "sun_disk_fraction": np.ones(n),
            "sun_elevation_deg": np.full(n, 1.5),
            "sun_azimuth_deg": np.mod(np.arange(n) * 0.55, 360.0),
            # the Earth out of view for the first half: only the relay can take the data down
            "earth_visible": (np.arange(n) >= n // 2).astype(float),
        },
        index=times,
    )
    return HandSite(series=series, horizon_deg=np.full(360, 1.5))


@pytest.fixture(scope="module")
def case():
    ilrs = builtin_scenario("ilrs-reference")
    keep = {"ILRS-1", "QUEQIAO-2", "LUNA-26"}
    scenario = ilrs.model_copy(update={"elements": [e for e in ilrs.elements if e.id in keep]})
    campaign = HandCampaign({"ILRS-1": None, "QUEQIAO-2": None, "LUNA-26": LUNA26_ARRIVES})
    return scenario, hand_site(), campaign


def _height(site):
    return site.ground_m + site.mast_height_m


def test_twin_relay_series_is_the_relays_seen_from_the_cell(case):
    scenario, site, campaign = case
    run = run_station(scenario, site, campaign, failures=False)
    twin = run.simulation.drivers.relay_available
    orbits = [scenario.element(i).relay_orbit for i in ("QUEQIAO-2", "LUNA-26")]
    direct = relay_availability(
        orbits,
        site.series.index,
        site.latitude_deg,
        site.longitude_deg,
        _height(site),
        site.horizon_deg,
        available_from=[None, LUNA26_ARRIVES],
    )
    np.testing.assert_array_equal(twin, direct)
    assert 0.5 < twin.mean() < 1.0

    # independently: exact-geometry windows of each relay, Luna-26 from its arrival, unioned
    start_s = float(tdb_seconds(parse_utc(START)))
    edges = start_s + HOUR_S * np.arange(len(twin) + 1)
    grid = np.linspace(edges[0], edges[-1], 60 * len(twin) + 1)[:-1] + 30.0  # 1-minute midpoints
    covered = np.zeros(grid.shape, dtype=bool)
    for orbit, since in zip(orbits, [START, str(LUNA26_ARRIVES)], strict=True):
        link = relay_link(
            orbit, site.latitude_deg, site.longitude_deg, _height(site), site.horizon_deg
        )
        for a, b in find_windows(link, since, STOP):
            covered |= (grid >= a) & (grid < b)
    independent = covered.reshape(len(twin), 60).mean(axis=1)
    assert np.max(np.abs(twin - independent)) <= 1.0 / 6.0 + 1.0 / 60.0
    assert twin.mean() == pytest.approx(independent.mean(), abs=0.01)


def test_no_relay_elements_no_relay(case):
    scenario, site, campaign = case
    ground_only = scenario.model_copy(
        update={"elements": [e for e in scenario.elements if e.id == "ILRS-1"]}
    )
    run = run_station(ground_only, site, campaign, failures=False)
    assert np.all(run.simulation.drivers.relay_available == 0.0)
    assert run.kpis["data_delivered_relay_gbit"] == 0.0


def test_relay_before_arrival_is_absent(case):
    scenario, site, campaign = case
    only_luna = scenario.model_copy(
        update={"elements": [e for e in scenario.elements if e.id != "QUEQIAO-2"]}
    )
    relay = run_station(
        only_luna, site, campaign, failures=False
    ).simulation.drivers.relay_available
    before = site.series.index < pd.Timestamp(LUNA26_ARRIVES, tz="UTC")
    assert np.all(relay[before] == 0.0)
    assert relay[~before].max() > 0.0


def test_data_goes_down_by_relay_when_the_earth_is_out_of_view(case):
    scenario, site, campaign = case
    run = run_station(scenario, site, campaign, failures=False)
    (terminal,) = run.station.of_type("comms_terminal")
    assert terminal.relay_rate_mbps == scenario.element("ILRS-1").relay_rate_mbps == 50.0
    # the twin's stations have no science loads of their own: add one that makes 20 Mbit/s
    science = {"type": "load", "name": "science", "power_w": 100.0, "data_rate_mbps": 20.0}
    station = Station(
        name="with science", components=[*run.station.model_dump()["components"], science]
    )
    result = simulate_station(station, run.simulation.drivers, failures=False)
    relay_gbit = result.series["data_delivered_relay_gbit"].to_numpy()
    assert result.kpis["data_generated_gbit"] > 0.0
    assert result.kpis["data_delivered_relay_gbit"] > 0.0
    capacity = 50.0 * run.simulation.drivers.relay_available * HOUR_S / 1000.0
    assert np.all(relay_gbit <= capacity + 1e-9)
    dark_earth = site.series["earth_visible"].to_numpy() == 0.0
    assert relay_gbit[dark_earth].sum() == pytest.approx(relay_gbit.sum())
    # with the relay cut, nothing goes down while the Earth is out of view
    cut = simulate_station(station, run.simulation.drivers.with_relay(0.0), failures=False)
    assert cut.kpis["data_delivered_relay_gbit"] == 0.0
    assert cut.series["data_delivered_gbit"].to_numpy()[dark_earth].sum() == 0.0
