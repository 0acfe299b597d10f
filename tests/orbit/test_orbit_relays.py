"""Relay orbits (Queqiao-2, Luna-26) against SPICE (CSPICE through spiceypy), the authority.

How the expected values are made, in the test itself:

* positions: ``spiceypy.conics`` on the same elements with the DE421 lunar GM (two-body), the
  elements' frame (MOON_ME at the epoch) turned into J2000 by ``pxform("MOON_ME", "J2000",
  et0)`` and each position into MOON_ME by ``pxform("J2000", "MOON_ME", et)``;
* the site (the Connecting Ridge cell, -89.4540, 223.0419, 1,875.25 m: the chosen cell's
  ground plus a 2 m mast) by ``latrec`` on the 1737.4 km sphere; elevation above its local
  horizontal plane and azimuth from its east/north axes; the terrain horizon interpolated
  linearly in azimuth, wrapping (``np.interp(period=360)``);
* the Earth from ``spkpos("EARTH", et, "J2000", "NONE", "MOON")`` (geometric, as moonbase),
  hidden when it lies behind the Moon's disk seen from the relay;
* windows: SPICE flags sampled every ``step`` seconds, each change bisected to 0.5 s.

Measured (2026-12-03): positions agree to 0.2 mm (Queqiao-2) and 0.07 mm (Luna-26) over
2031-2035; window edges to under 1 s; hourly availability fractions to the sub-sampling
resolution (1/6 of an hour for Queqiao-2, 1/30 for Luna-26) with means within 0.05 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.constants import MOON_RADIUS_KM
from moonbase.ephemeris import lunar_ephemeris
from moonbase.orbit.cr3bp import GM_MOON_KM3_S2
from moonbase.orbit.relays import (
    relay_availability,
    relay_epoch_s,
    relay_link,
    relay_period_s,
    relay_positions_j2000_km,
    relay_positions_me_km,
    relay_samples_per_step,
)
from moonbase.scenario import builtin_scenario
from moonbase.scenario.checks import check_scenario
from moonbase.scenario.models import RelayOrbit
from moonbase.time import parse_utc, tdb_seconds
from moonbase.windows import Windows, find_windows

METRE_KM = 1e-3
SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0

LAT, LON, HEIGHT_M = -89.4540, 223.0419, 1875.25  # Connecting Ridge cell, ground + 2 m mast


@pytest.fixture(scope="module")
def ilrs():
    return builtin_scenario("ilrs-reference")


@pytest.fixture(scope="module")
def queqiao(ilrs):
    return ilrs.element("QUEQIAO-2").relay_orbit


@pytest.fixture(scope="module")
def luna26(ilrs):
    return ilrs.element("LUNA-26").relay_orbit


def _et(text: str) -> float:
    return float(tdb_seconds(parse_utc(text)))


def _semi_major_e(orbit):
    rp = MOON_RADIUS_KM + orbit.periapsis_altitude_km
    ra = MOON_RADIUS_KM + orbit.apoapsis_altitude_km
    return 0.5 * (rp + ra), (ra - rp) / (ra + rp)


def spice_states(spice, orbit, et):
    """SPICE J2000 and MOON_ME positions ``(3, N)`` km of ``orbit`` at TDB seconds ``et``."""
    a, e = _semi_major_e(orbit)
    et0 = relay_epoch_s(orbit)
    elements = [
        a * (1.0 - e),
        e,
        np.radians(orbit.inclination_deg),
        np.radians(orbit.raan_deg),
        np.radians(orbit.argument_of_periapsis_deg),
        np.radians(orbit.mean_anomaly_deg),
        et0,
        GM_MOON_KM3_S2,
    ]
    to_j2000 = np.eye(3)
    if orbit.frame == "moon_me_epoch":
        to_j2000 = np.array(spice.pxform("MOON_ME", "J2000", et0))
    j2000 = np.empty((3, len(et)))
    me = np.empty((3, len(et)))
    for k, t in enumerate(et):
        j2000[:, k] = to_j2000 @ np.array(spice.conics(elements, float(t)))[:3]
        me[:, k] = np.array(spice.pxform("J2000", "MOON_ME", float(t))) @ j2000[:, k]
    return j2000, me


def spice_flags(spice, orbit, et, horizon_deg=None):
    """SPICE-made flags: relay above the site's horizon and the Earth not behind the Moon."""
    j2000, me = spice_states(spice, orbit, et)
    site = np.array(
        spice.latrec(MOON_RADIUS_KM + HEIGHT_M / 1000.0, np.radians(LON), np.radians(LAT))
    )
    up = site / np.linalg.norm(site)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    los = me - site[:, None]
    elevation = np.degrees(np.arcsin(up @ los / np.linalg.norm(los, axis=0)))
    azimuth = np.mod(np.degrees(np.arctan2(east @ los, north @ los)), 360.0)
    if horizon_deg is None:
        horizon = np.zeros(len(et))
    else:
        grid = np.arange(len(horizon_deg)) * 360.0 / len(horizon_deg)
        horizon = np.interp(azimuth, grid, horizon_deg, period=360.0)
    earth = np.array([spice.spkpos("EARTH", float(t), "J2000", "NONE", "MOON")[0] for t in et]).T
    to_earth, to_moon = earth - j2000, -j2000
    d_moon = np.linalg.norm(to_moon, axis=0)
    cos_angle = np.sum(to_earth * to_moon, axis=0) / np.linalg.norm(to_earth, axis=0) / d_moon
    behind = (np.arccos(np.clip(cos_angle, -1, 1)) < np.arcsin(MOON_RADIUS_KM / d_moon)) & (
        np.linalg.norm(to_earth, axis=0) > d_moon
    )
    return (elevation > horizon) & ~behind


def spice_windows(spice, orbit, start, stop, step_s, horizon_deg=None) -> Windows:
    t0, t1 = _et(start), _et(stop)
    et = np.arange(t0, t1 + 0.5 * step_s, step_s)
    flags = spice_flags(spice, orbit, et, horizon_deg)
    change = np.flatnonzero(flags[1:] != flags[:-1])
    lo, hi, lo_flag = et[change], et[change + 1], flags[change]
    while lo.size and np.max(hi - lo) > 0.5 * SECOND:
        mid = 0.5 * (lo + hi)
        same = spice_flags(spice, orbit, mid, horizon_deg) == lo_flag
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    edges = 0.5 * (lo + hi)
    starts, stops = edges[~lo_flag], edges[lo_flag]
    if flags[0]:
        starts = np.concatenate([[t0], starts])
    if flags[-1]:
        stops = np.concatenate([stops, [t1]])
    return Windows(starts, stops)


def covered_fraction(windows: Windows, edges: np.ndarray) -> np.ndarray:
    """Fraction of each ``[edges[i], edges[i + 1])`` inside ``windows``."""
    covered = np.zeros(edges.shape)
    for a, b in windows:
        covered += np.clip(edges - a, 0.0, b - a)
    return np.diff(covered) / np.diff(edges)


# -- the reference orbits ----------------------------------------------------------------------


def test_queqiao2_orbit_is_24_hours_with_apoapsis_over_the_south(queqiao):
    assert relay_period_s(queqiao) / HOUR == pytest.approx(24.3, abs=0.05)
    # half an orbit from periapsis (mean anomaly 0 at the epoch): apoapsis, far south
    at_apoapsis = relay_positions_j2000_km(
        queqiao, relay_epoch_s(queqiao) + 0.5 * relay_period_s(queqiao)
    )
    rot = lunar_ephemeris().rotation(np.array([relay_epoch_s(queqiao)]))[0]
    local = rot @ at_apoapsis  # the elements' frame: MOON_ME at the epoch
    radius = np.linalg.norm(local)
    assert radius == pytest.approx(MOON_RADIUS_KM + 16_000.0, abs=1 * METRE_KM)
    assert np.degrees(np.arcsin(local[2] / radius)) == pytest.approx(-62.4, abs=1e-6)


@pytest.mark.parametrize("frame", ["moon_me_epoch", "j2000"])
@pytest.mark.parametrize("name", ["QUEQIAO-2", "LUNA-26"])
def test_positions_match_spice_conics(spice, ilrs, name, frame):
    orbit = ilrs.element(name).relay_orbit.model_copy(update={"frame": frame})
    et = _et("2031-01-01") + np.sort(np.random.default_rng(7).uniform(0, 5 * 365.25 * 86400, 200))
    j2000, me = spice_states(spice, orbit, et)
    assert (
        np.max(np.linalg.norm(relay_positions_j2000_km(orbit, et) - j2000, axis=0))
        < 0.01 * METRE_KM
    )
    assert np.max(np.linalg.norm(relay_positions_me_km(orbit, et) - me, axis=0)) < 0.01 * METRE_KM


def test_position_shapes_broadcast(queqiao):
    et0 = _et("2031-01-01")
    assert relay_positions_me_km(queqiao, et0).shape == (3,)
    grid = et0 + 600.0 * np.arange(6).reshape(2, 3)
    out = relay_positions_me_km(queqiao, grid)
    assert out.shape == (3, 2, 3)
    np.testing.assert_allclose(
        out[:, 1, 2], relay_positions_me_km(queqiao, grid[1, 2]), rtol=0, atol=1e-9
    )
    assert relay_link(queqiao, LAT, LON, HEIGHT_M)(parse_utc("2031-01-01")).shape == ()


# -- visibility windows from the Connecting Ridge cell -----------------------------------------


CASES = [
    # (relay, start, stop, SPICE sampling step s, horizon)
    ("QUEQIAO-2", "2031-03-01", "2031-03-31", 120.0, "flat"),
    ("QUEQIAO-2", "2031-07-01", "2031-07-11", 120.0, "terrain"),
    ("LUNA-26", "2031-03-01", "2031-03-04", 30.0, "flat"),
    ("LUNA-26", "2031-07-01", "2031-07-03", 30.0, "terrain"),
]


def _horizon(kind):
    if kind == "flat":
        return None
    azimuth = np.arange(360.0)
    return 2.0 + 1.5 * np.sin(np.radians(azimuth)) + 0.8 * np.cos(np.radians(3 * azimuth))


@pytest.mark.parametrize(("name", "start", "stop", "step_s", "horizon"), CASES)
def test_windows_match_spice(spice, ilrs, name, start, stop, step_s, horizon):
    orbit = ilrs.element(name).relay_orbit
    terrain = _horizon(horizon)
    expected = spice_windows(spice, orbit, start, stop, step_s, terrain)
    ours = find_windows(relay_link(orbit, LAT, LON, HEIGHT_M, terrain), start, stop)
    assert len(expected) > 2
    assert len(ours) == len(expected)
    assert np.max(np.abs(ours.start - expected.start)) < 5 * SECOND
    assert np.max(np.abs(ours.stop - expected.stop)) < 5 * SECOND


@pytest.mark.parametrize(("name", "start", "stop", "step_s", "horizon"), CASES)
def test_hourly_availability_matches_spice(spice, ilrs, name, start, stop, step_s, horizon):
    orbit = ilrs.element(name).relay_orbit
    terrain = _horizon(horizon)
    expected_windows = spice_windows(spice, orbit, start, stop, step_s, terrain)
    times = pd.date_range(start, stop, freq="h", tz="UTC")[:-1]
    edges = _et(start) + HOUR * np.arange(len(times) + 1)
    expected = covered_fraction(expected_windows, edges)
    ours = relay_availability(orbit, times, LAT, LON, HEIGHT_M, terrain)
    resolution = 1.0 / relay_samples_per_step(orbit, HOUR)
    assert np.max(np.abs(ours - expected)) <= resolution + 1e-9
    assert ours.mean() == pytest.approx(expected.mean(), abs=0.005)


def test_availability_union_and_arrival(queqiao, luna26):
    times = pd.date_range("2031-03-01", "2031-03-08", freq="h")[:-1]
    alone = relay_availability(queqiao, times, LAT, LON, HEIGHT_M, None)
    low = relay_availability(luna26, times, LAT, LON, HEIGHT_M, None)
    both = relay_availability([queqiao, luna26], times, LAT, LON, HEIGHT_M, None)
    assert np.all(both >= np.maximum(alone, low) - 1e-12)
    assert np.all(both <= np.minimum(alone + low, 1.0) + 1e-12)
    assert both.mean() > alone.mean()
    later = relay_availability(
        [queqiao, luna26], times, LAT, LON, HEIGHT_M, None, available_from=["2031-03-04", None]
    )
    before = times < pd.Timestamp("2031-03-04")
    np.testing.assert_allclose(later[before], low[before], atol=1e-12)
    np.testing.assert_allclose(later[~before], both[~before], atol=1e-12)


# -- the scenario's relay_orbit ----------------------------------------------------------------


def test_relay_orbit_off_orbit_is_one_problem(ilrs):
    elements = [
        e.model_copy(update={"location": "elsewhere"}) if e.id == "QUEQIAO-2" else e
        for e in ilrs.elements
    ]
    problems = check_scenario(ilrs.model_copy(update={"elements": elements}))
    relay = [p for p in problems if "relay_orbit" in p.path]
    assert len(relay) == 1
    assert "QUEQIAO-2" in relay[0].message and "not in orbit" in relay[0].message
    assert "\n" not in relay[0].message
    assert not [p for p in check_scenario(ilrs) if "relay_orbit" in p.path]


def test_relay_orbit_refuses_apoapsis_below_periapsis(queqiao):
    data = queqiao.model_dump() | {"apoapsis_altitude_km": 100.0}
    with pytest.raises(ValueError, match="swap them"):
        RelayOrbit(**data)
