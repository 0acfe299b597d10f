"""Physical sanity of the environment engine against published and analytic values.

References: the lunar equator is inclined 1.543 deg to the ecliptic (Cassini's laws; IAU WGCCRE),
so the sub-solar latitude stays within about +-1.54 deg and the Sun's centre never climbs more
than that (plus a parallax of 2.4 arcsec) above the horizontal plane at a pole; the mean
synodic month is 29.530589 days (Meeus, Astronomical Algorithms, ch. 49); optical libration
reaches about +-7.9 deg in longitude and +-6.9 deg in latitude (Meeus ch. 53); the Sun's
radius is 695,700 km (IAU 2015 B3) at 0.983-1.017 au from the Moon.
"""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.constants import SYNODIC_MONTH_DAYS
from moonbase.ephemeris import horizontal, topocentric_vectors
from moonbase.ephemeris.disk import solar_disk_fraction, sun_angular_radius_deg
from moonbase.ephemeris.events import above_elevation, elevation_crossings, find_transitions
from moonbase.ephemeris.points import libration, subsolar_point
from moonbase.errors import InputError, OutOfRangeError
from moonbase.time import time_range, timescale

PRECESSION_CYCLE = time_range("2024-01-01", "2042-08-01", "6h")  # 18.6 years


def test_sun_at_south_pole_never_exceeds_tilt_plus_parallax():
    sun = horizontal(PRECESSION_CYCLE, "sun", -90.0, 0.0)
    parallax_deg = 2.5 / 3600.0
    assert sun.elevation_deg.max() < 1.6 + parallax_deg
    assert sun.elevation_deg.min() > -1.6 - parallax_deg
    # ... and it does reach the tilt over a precession cycle.
    assert sun.elevation_deg.max() > 1.5


def test_subsolar_latitude_within_lunar_obliquity_to_ecliptic():
    latitude = subsolar_point(PRECESSION_CYCLE).latitude_deg
    assert np.abs(latitude).max() < 1.6
    assert np.abs(latitude).max() > 1.5


def test_synodic_period_from_successive_sunrises_at_equator():
    crossings = elevation_crossings("2030-01-01", "2032-01-01", "sun", 0.0, 0.0)
    sunrises = crossings.times[crossings.rising]
    intervals = np.diff(sunrises.tt)
    assert len(intervals) >= 23
    assert intervals.mean() == pytest.approx(SYNODIC_MONTH_DAYS, abs=0.02)
    # Individual lunations vary by less than about +-0.3 days (eccentric orbits of Earth and Moon).
    assert np.all(np.abs(intervals - SYNODIC_MONTH_DAYS) < 0.45)


def test_sunrise_time_matches_elevation_root():
    crossings = elevation_crossings("2030-01-01", "2030-02-15", "sun", 0.0, 0.0)
    elevation = horizontal(crossings.times, "sun", 0.0, 0.0).elevation_deg
    # The Sun moves 0.5 arcsec per second at the equator: a 1 ms root is within 0.01 arcsec.
    assert np.abs(elevation).max() < 0.01 / 3600.0


def test_libration_amplitudes():
    lib = libration(time_range("2030-01-01", "2032-01-01", "6h"))
    assert 7.0 < np.abs(lib.longitude_deg).max() < 8.3
    assert 6.3 < np.abs(lib.latitude_deg).max() < 7.0


def test_sun_angular_radius_from_the_moon():
    sun = horizontal(time_range("2030-01-01", "2031-01-01", "1d"), "sun", -89.45, 222.69)
    radius = sun_angular_radius_deg(sun.distance_km)
    assert 0.260 < radius.min() < radius.max() < 0.275
    # Earth's orbit (e = 0.0167) swings the Sun's distance by 3.4 %, about 0.0090 deg of radius;
    # the Moon's orbit adds +-0.0026 au, about 0.0014 deg more.
    assert radius.max() - radius.min() == pytest.approx(0.0104, abs=0.0005)


def test_solar_disk_fraction_against_numerical_area():
    """Compare the closed form with a direct count of points on a fine grid over the disk."""
    radius = 0.27
    grid = np.linspace(-radius, radius, 2001)
    x, y = np.meshgrid(grid, grid)
    inside = x**2 + y**2 <= radius**2
    for offset in (-0.3, -0.2, -0.1, 0.0, 0.05, 0.13, 0.26, 0.3):
        counted = inside[y > -offset].sum() / inside.sum()
        assert solar_disk_fraction(offset, radius, 0.0) == pytest.approx(counted, abs=2e-3)
    np.testing.assert_allclose(solar_disk_fraction([1.0, 0.5], radius, [0.5, 1.0]), [1.0, 0.0])


def test_shapes_broadcast_over_sites_and_times():
    ts = timescale()
    one = ts.utc(2030, 1, 1)
    many = time_range("2030-01-01", "2030-01-02", "6h")
    assert np.shape(horizontal(one, "sun", -89.0, 10.0).elevation_deg) == ()
    assert horizontal(many, "sun", -89.0, 10.0).elevation_deg.shape == (5,)
    assert horizontal(one, "sun", [-89.0, -88.0, 0.0], 10.0).elevation_deg.shape == (3,)
    grid = horizontal(many, "earth", np.full((2, 3), -89.0), np.zeros((2, 3)))
    assert grid.azimuth_deg.shape == (2, 3, 5)
    assert topocentric_vectors(many, "sun", [-89.0, 0.0], 0.0).shape == (3, 2, 5)
    # Each element of a vectorised call equals the scalar call.
    single = horizontal(many[2], "earth", -89.0, 0.0)
    assert grid.elevation_deg[1, 2, 2] == pytest.approx(single.elevation_deg, abs=1e-12)


def test_bad_sites_and_times_are_clear_errors():
    t = time_range("2030-01-01", "2030-01-02", "6h")
    with pytest.raises(InputError, match="latitude 95 is outside"):
        horizontal(t, "sun", 95.0, 0.0)
    with pytest.raises(InputError, match="finite"):
        horizontal(t, "sun", np.nan, 0.0)
    with pytest.raises(InputError, match="unknown body"):
        horizontal(t, "mars", 0.0, 0.0)
    with pytest.raises(OutOfRangeError, match="1900-01-01 to 2051-01-01") as info:
        horizontal(time_range("2055-01-01", "2055-01-02", "12h"), "sun", 0.0, 0.0)
    assert info.value.out_of_range.all()


def test_find_transitions_requires_step_days():
    with pytest.raises(InputError, match="step_days"):
        find_transitions("2030-01-01", "2030-02-01", lambda t: t.tt > 0)
    predicate = above_elevation("earth", -89.45, 222.69, elevation_deg=0.0)
    times, values = find_transitions("2030-01-01", "2030-03-01", predicate)
    assert len(times) >= 2  # the Earth rises and sets about monthly at the pole (libration)
    assert list(values[:2]) in ([True, False], [False, True])
