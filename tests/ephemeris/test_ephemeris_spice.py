"""The environment engine against SPICE (CSPICE through spiceypy), the authority.

Reference: spiceypy with the same data: DE421 (``de421.bsp`` from skyfield-data),
``moon_pa_de421_1900-2050.bpc``, ``moon_080317.tf`` and ``pck00010.tpc`` from ``../shared/data/spice``.
Expected values are computed in the test by the SPICE calls named beside each comparison;
epochs are TDB seconds past J2000 passed straight to SPICE (no leap-second kernel needed).
"""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.constants import MOON_RADIUS_KM
from moonbase.ephemeris import horizontal, lunar_ephemeris, surface_point_km, topocentric_vectors
from moonbase.ephemeris.points import libration, sub_earth_point, subsolar_point
from moonbase.time import tdb_seconds, timescale

ARCSEC_DEG = 1.0 / 3600.0
ARCSEC_RAD = np.radians(ARCSEC_DEG)

#: (name, latitude_deg, longitude_deg, height_m): pole, Shackleton rim / Connecting Ridge,
#: Malapert massif, an equatorial far-side site, a near-side site (Apollo 11), with heights.
SITES = [
    ("south pole", -90.0, 0.0, 0.0),
    ("Shackleton rim", -89.45, 222.69, 1800.0),
    ("Malapert", -85.99, 2.93, 5000.0),
    ("far side equator", 0.0, 180.0, 0.0),
    ("Apollo 11", 0.674, 23.473, -1900.0),
]

SPICE_CORRECTION = {"apparent": "CN+S", "astrometric": "CN", "geometric": "NONE"}


@pytest.fixture(scope="module")
def epochs():
    """120 TDB epochs spread at random over 1950-2049 (seeded)."""
    jd = np.random.default_rng(20300101).uniform(2433282.5, 2469807.5, 120)
    return timescale().tdb_jd(np.sort(jd))


def _spice_position(latitude_deg, longitude_deg, height_m):
    """Site vector for SPICE, with round-off (1e-13 km) off the pole removed: SPICE's local frame
    is undefined for a point a hair's breadth off the rotation axis."""
    position = surface_point_km(latitude_deg, longitude_deg, height_m)
    position[np.abs(position) < 1e-9] = 0.0
    return position


def _site_arrays():
    lat = np.array([s[1] for s in SITES])
    lon = np.array([s[2] for s in SITES])
    height = np.array([s[3] for s in SITES])
    return lat, lon, height


@pytest.mark.parametrize("body", ["sun", "earth"])
def test_azimuth_elevation_match_spice_azlcpo(spice, epochs, body):
    lat, lon, height = _site_arrays()
    ours = horizontal(epochs, body, lat, lon, height)
    et = tdb_seconds(epochs)
    worst_elevation = worst_azimuth = 0.0
    for m in range(len(SITES)):
        position = _spice_position(lat[m], lon[m], height[m])
        for n, epoch in enumerate(et):
            state, _ = spice.azlcpo(
                "ELLIPSOID", body.upper(), epoch, "CN+S", False, True, position, "MOON", "MOON_ME"
            )
            elevation = np.degrees(state[2])
            azimuth = np.degrees(state[1])
            worst_elevation = max(worst_elevation, abs(elevation - ours.elevation_deg[m, n]))
            # Azimuth error as an angle on the sky (it is ill-defined at the zenith).
            difference = (azimuth - ours.azimuth_deg[m, n] + 180.0) % 360.0 - 180.0
            on_sky = abs(difference) * np.cos(np.radians(elevation))
            worst_azimuth = max(worst_azimuth, on_sky)
            assert ours.distance_km[m, n] == pytest.approx(state[0], abs=1e-4)  # 10 cm
    assert worst_elevation < 0.01 * ARCSEC_DEG
    assert worst_azimuth < 0.01 * ARCSEC_DEG


@pytest.mark.parametrize("correction", ["apparent", "astrometric", "geometric"])
@pytest.mark.parametrize("frame", ["ME", "PA"])
def test_topocentric_vectors_match_spice_spkcpo(spice, epochs, correction, frame):
    lat, lon, height = _site_arrays()
    et = tdb_seconds(epochs)[::6]
    t = timescale().tdb_jd(epochs.tdb[::6])
    for body in ("sun", "earth"):
        ours = topocentric_vectors(t, body, lat, lon, height, frame=frame, correction=correction)
        for m in range(len(SITES)):
            position = _spice_position(lat[m], lon[m], height[m])
            for n, epoch in enumerate(et):
                state, _ = spice.spkcpo(
                    body.upper(),
                    epoch,
                    f"MOON_{frame}",
                    "OBSERVER",
                    SPICE_CORRECTION[correction],
                    position,
                    "MOON",
                    "MOON_ME",
                )
                expected = np.array(state[:3])
                got = ours[:, m, n]
                cosine = got @ expected / np.linalg.norm(got) / np.linalg.norm(expected)
                assert np.arccos(min(1.0, cosine)) < 0.05 * ARCSEC_RAD
                assert np.linalg.norm(got) == pytest.approx(np.linalg.norm(expected), abs=1e-4)


def test_pole_azimuth_convention_against_spice(spice, epochs):
    """At the exact pole SPICE measures azimuth from the prime meridian's direction; we measure it
    from the meridian of the longitude given, so the two differ by exactly that longitude."""
    t = epochs[:10]
    position = np.array([0.0, 0.0, -MOON_RADIUS_KM])
    for longitude in (0.0, 90.0, 222.69):
        ours = horizontal(t, "sun", -90.0, longitude)
        for n, epoch in enumerate(tdb_seconds(t)):
            state, _ = spice.azlcpo(
                "ELLIPSOID", "SUN", epoch, "CN+S", False, True, position, "MOON", "MOON_ME"
            )
            expected = (np.degrees(state[1]) - longitude) % 360.0
            difference = (expected - ours.azimuth_deg[n] + 180.0) % 360.0 - 180.0
            assert abs(difference) < 0.01 * ARCSEC_DEG


def test_frames_match_spice_pxform(spice, epochs):
    eph = lunar_ephemeris()
    et = tdb_seconds(epochs)
    for frame in ("ME", "PA"):
        rotations = eph.rotation(et, frame)
        for n, epoch in enumerate(et):
            expected = np.array(spice.pxform("J2000", f"MOON_{frame}", epoch))
            assert np.abs(rotations[n] - expected).max() < 1e-11  # 2 micro-arcseconds


def test_me_versus_pa_offset_reproduced(spice):
    """MOON_ME differs from MOON_PA by a fixed rotation of about 103.85 arcsec (moon_080317.tf)."""
    eph = lunar_ephemeris()
    et = np.array([0.0, 9.0e8])
    me, pa = eph.rotation(et, "ME"), eph.rotation(et, "PA")
    offset = me[0] @ pa[0].T
    np.testing.assert_allclose(offset, me[1] @ pa[1].T, atol=1e-15)
    np.testing.assert_allclose(offset, spice.pxform("MOON_PA", "MOON_ME", 0.0), atol=1e-15)
    angle_arcsec = np.degrees(np.arccos((np.trace(offset) - 1.0) / 2.0)) * 3600.0
    assert angle_arcsec == pytest.approx(103.85, abs=0.01)


def test_barycentric_states_match_spice_spkezr(spice, epochs):
    eph = lunar_ephemeris()
    et = tdb_seconds(epochs)
    for body in ("sun", "earth", "moon"):
        position, velocity = eph.state(body, et)
        for n, epoch in enumerate(et[::10]):
            state, _ = spice.spkezr(body.upper(), epoch, "J2000", "NONE", "SOLAR SYSTEM BARYCENTER")
            # 5 cm: float64 TDB seconds near 1.5e9 s resolve 2.4e-7 s (the Earth moves 7 mm).
            assert np.abs(position[:, n * 10] - state[:3]).max() < 5e-5  # km
            assert np.abs(velocity[:, n * 10] - state[3:]).max() < 1e-9  # km/s


def _latlon_deg(vector):
    _, longitude, latitude = vector
    return np.degrees(latitude), np.degrees(longitude) % 360.0


def test_subsolar_point_matches_spice(spice, epochs):
    ours = subsolar_point(epochs)
    for n, epoch in enumerate(tdb_seconds(epochs)):
        vector, _ = spice.spkpos("SUN", epoch, "MOON_ME", "CN+S", "MOON")
        latitude, longitude = _latlon_deg(spice.reclat(vector))
        assert abs(latitude - ours.latitude_deg[n]) < 0.001 * ARCSEC_DEG
        assert abs((longitude - ours.longitude_deg[n] + 180) % 360 - 180) < 0.001 * ARCSEC_DEG


def test_sub_earth_point_and_libration_match_spice(spice, epochs):
    ours = sub_earth_point(epochs)
    lib = libration(epochs)
    for n, epoch in enumerate(tdb_seconds(epochs)):
        point, _, _ = spice.subpnt("INTERCEPT/ELLIPSOID", "MOON", epoch, "MOON_ME", "CN+S", "EARTH")
        latitude, longitude = _latlon_deg(spice.reclat(point))
        assert abs(latitude - ours.latitude_deg[n]) < 0.01 * ARCSEC_DEG
        assert abs((longitude - ours.longitude_deg[n] + 180) % 360 - 180) < 0.01 * ARCSEC_DEG
        assert abs((longitude - lib.longitude_deg[n] + 180) % 360 - 180) < 0.01 * ARCSEC_DEG
    assert np.all(np.abs(lib.longitude_deg) <= 180.0)
