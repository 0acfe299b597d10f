"""Visibility statistics against the ephemeris evaluated directly and analytic horizons.

References used here:

* ``moonbase.ephemeris.horizontal`` at each site itself (SPICE-validated to < 0.001 arcsec): the
  Sun's and the Earth's azimuth/elevation distribution, counted directly with numpy. The map
  kernel instead computes the Sun and the Earth once from a reference point and translates, so
  this checks the translation, the local frames, the azimuth convention and the counters.
* The arcsine law: at the exact south pole the Sun's elevation is minus the sub-solar latitude,
  ~ A sin(u) with A = 1.543 deg (the lunar equator's inclination to the ecliptic), so the time
  fraction with elevation > c is 1/2 + arcsin(-c / A) / pi.
* A bare sphere's horizon dip, arccos(R / (R + h)) = 0.0869 deg at h = 2 m.
"""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.ephemeris import horizontal
from moonbase.ephemeris.disk import sun_angular_radius_deg
from moonbase.errors import InputError
from moonbase.site import (
    bare_sphere_horizon_deg,
    site_summary,
    site_time_series,
    visibility_statistics,
)
from moonbase.site.series import longest_run, summarise_series
from moonbase.time import time_range

LUNAR_OBLIQUITY_DEG = 1.5427  # inclination of the lunar equator to the ecliptic (Cassini state)


@pytest.fixture(scope="module")
def precession_6h():
    """One 18.6-year precession cycle at 6-hour steps (27,173 epochs)."""
    return time_range("2017-01-01", "2035-08-08", "6h")


def test_constant_horizon_at_pole_matches_sun_elevation_distribution(precession_6h):
    t = precession_6h
    horizons = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    stats = visibility_statistics(
        np.repeat(horizons[:, None], 360, axis=1), np.full(5, -90.0), np.zeros(5), 0.0, t
    )
    sun = horizontal(t, "sun", -90.0, 0.0)
    radius = sun_angular_radius_deg(sun.distance_km)
    for h, lit, effective in zip(
        horizons, stats.lit_percent, stats.effective_illumination_percent, strict=True
    ):
        # A level horizon: some of the disk shows iff the centre is less than one radius below.
        direct = 100.0 * np.mean(sun.elevation_deg > h - radius)
        assert lit == pytest.approx(direct, abs=100.0 / len(t.tt) + 1e-9)
        # Arcsine law with the mean radius 0.2664 deg; measured deviations 0.6-0.7 percentage
        # points (the span's mean solar elevation is +0.018 deg, median +0.035 deg).
        analytic = 100.0 * (0.5 + np.arcsin((radius.mean() - h) / LUNAR_OBLIQUITY_DEG) / np.pi)
        assert lit == pytest.approx(analytic, abs=1.5)
        assert effective < lit
    # Measured: 81.22, 67.17, 56.23, 45.90, 34.92 % (direct count identical to 1e-12).
    assert stats.lit_percent[2] == pytest.approx(56.23, abs=0.01)


def test_flat_plane_matches_ephemeris_at_each_cell():
    t = time_range("2030-01-01", "2031-01-01", "3h")
    # A 3x3 patch of 2 m masts 10 km apart around the Connecting Ridge: a bare sphere horizon.
    lat = np.array([[-89.2, -89.45, -89.7]] * 3)
    lon = np.array([[200.0] * 3, [222.7] * 3, [245.0] * 3])
    dip = float(bare_sphere_horizon_deg(2.0))
    assert dip == pytest.approx(-0.08694, abs=1e-5)  # sqrt(2 h / R) rad for h = 2 m
    stats = visibility_statistics(np.full((3, 3, 180), dip), lat, lon, 2.0, t)
    sun = horizontal(t, "sun", lat, lon, 2.0)
    earth = horizontal(t, "earth", lat, lon, 2.0)
    radius = sun_angular_radius_deg(sun.distance_km)
    lit = sun.elevation_deg > dip - radius
    seen = earth.elevation_deg > dip
    one_epoch = 100.0 / len(t.tt)
    np.testing.assert_allclose(stats.lit_percent, 100 * lit.mean(axis=-1), atol=one_epoch)
    np.testing.assert_allclose(stats.earth_visible_percent, 100 * seen.mean(axis=-1), atol=1e-9)
    np.testing.assert_allclose(
        stats.lit_and_earth_percent, 100 * (lit & seen).mean(axis=-1), atol=one_epoch
    )
    # Longest darkness, counted directly from the ephemeris.
    expected_dark = [[longest_run(~row)[0] * 3.0 for row in block] for block in lit]
    np.testing.assert_allclose(stats.longest_dark_hours, expected_dark, atol=3.0)


def test_single_tall_peak_casts_a_monthly_shadow():
    """A peak 20 deg wide and 5 deg high due 'north' (lon 0 meridian) of a mast at the pole.

    Elsewhere the horizon is 2 deg below the level (the Sun never sinks that low: it stays within
    1.59 deg), so the site is dark exactly while the Sun's azimuth is behind the peak: once per
    synodic month for 20 deg / (360 deg / 708.7 h) = 39.4 h, i.e. 5.6 % of the time.
    """
    t = time_range("2030-01-01", "2031-01-01", "1h")
    azimuth = np.arange(360.0)
    horizon = np.where(np.abs((azimuth + 180) % 360 - 180) <= 10.0, 5.0, -2.0)
    stats = visibility_statistics(horizon[None, :], [-90.0], [0.0], 0.0, t)
    sun = horizontal(t, "sun", -90.0, 0.0)
    offset = np.abs((sun.azimuth_deg + 180) % 360 - 180)
    surely_dark = offset < 10.0 - 0.3  # disk radius 0.27 deg; horizon ramps over 10..11 deg
    surely_lit = offset > 11.0 + 0.3
    n = len(t.tt)
    assert 100 * surely_lit.mean() <= stats.lit_percent[0] <= 100 * (1 - surely_dark.mean())
    assert stats.lit_percent[0] == pytest.approx(100 * (1 - 21 / 360), abs=0.5)
    assert 38.0 <= stats.longest_dark_hours[0] <= 44.0  # 20-22 deg at 0.47-0.55 deg/h
    assert stats.earth_visible_percent[0] > 0 and n == 8761


def test_permanent_shadow_and_never_dark(precession_6h):
    t = precession_6h
    # A bowl with a 3 deg rim near the pole: the Sun never gets above 1.56 + 0.1 deg there.
    # A plateau seen with a -2 deg horizon: the Sun (>= -1.59 deg) is never hidden.
    stats = visibility_statistics(
        np.array([np.full(90, 3.0), np.full(90, -2.0)]),
        [-89.9, -89.9],
        [45.0, 45.0],
        [-2000.0, 1000.0],
        t,
    )
    assert stats.permanent_shadow.tolist() == [True, False]
    assert stats.lit_percent[0] == 0.0
    assert stats.longest_dark_hours[0] == pytest.approx(len(t.tt) * 6.0)
    assert str(stats.longest_dark_start[0]).startswith("2017-01-01T00:00")
    assert stats.lit_percent[1] == 100.0 and stats.longest_dark_hours[1] == 0.0
    assert np.isnat(stats.longest_dark_start[1])


def test_map_kernel_agrees_with_site_time_series():
    """Two paths: the map kernel (reference point + translation) and per-site ``horizontal``."""
    t = time_range("2030-01-01", "2030-07-01", "2h")
    rng = np.random.default_rng(7)
    horizons = np.cumsum(rng.normal(0.0, 0.15, (3, 360)), axis=1)
    horizons -= horizons.mean(axis=1, keepdims=True)
    lat, lon, height = [-89.45, -89.9, -88.6], [222.69, 10.0, 120.0], [1800.0, 0.0, -900.0]
    stats = visibility_statistics(horizons, lat, lon, height, t)
    for i in range(3):
        series = site_time_series(horizons[i], lat[i], lon[i], height[i], t)
        summary = summarise_series(series, 7200.0)
        # Identical counts: the Sun's parallax over ~30 km (< 0.05 arcsec) never flips a sample.
        assert stats.lit_percent[i] == pytest.approx(summary["lit_percent"], abs=1e-9)
        assert stats.earth_visible_percent[i] == pytest.approx(
            summary["earth_visible_percent"], abs=1e-9
        )
        assert stats.effective_illumination_percent[i] == pytest.approx(
            summary["effective_illumination_percent"], abs=1e-4
        )
        assert stats.longest_dark_hours[i] == summary["longest_dark_hours"]


def test_site_summary_bare_sphere_reference_site():
    summary = site_summary(-89.45, 222.69, "2030-01-01", "2030-03-01", "1h")
    assert summary.terrain == "bare sphere (no terrain)"
    assert summary.n_epochs == len(summary.series) == 59 * 24 + 1
    assert 0 < summary.lit_percent < 100
    assert summary.lit_and_earth_percent <= min(summary.lit_percent, summary.earth_visible_percent)
    assert summary.longest_dark_start_utc.startswith("2030-")
    assert set(summary.as_dict()) >= {"lit_percent", "longest_dark_hours", "earth_visible_percent"}


def test_bad_inputs_are_named():
    t = time_range("2030-01-01", "2030-01-02", "1h")
    with pytest.raises(InputError, match=r"horizon_deg.*NaN"):
        visibility_statistics(np.full((2, 36), np.nan), [-89, -89], [0, 0], 0.0, t)
    with pytest.raises(InputError, match=r"latitude_deg.*do not match"):
        visibility_statistics(np.zeros((2, 36)), [-89, -89, -89], [0, 0, 0], 0.0, t)
    with pytest.raises(InputError, match="times"):
        visibility_statistics(np.zeros((1, 36)), [-89], [0], 0.0, t[:1])
    with pytest.raises(InputError, match="latitude"):
        visibility_statistics(np.zeros((1, 36)), [-91], [0], 0.0, t)


def test_site_summary_on_flat_terrain_equals_bare_sphere():
    """Through ``moonbase.terrain.horizon_at_points``: a flat terrain 100 m above the sphere is
    a bare sphere of radius R + 100 m, whose horizon dip at 2 m differs from R's by 6e-6 deg."""
    terrain_module = pytest.importorskip("moonbase.terrain")
    flat = terrain_module.flat_terrain((48, 48), 400.0, height_m=100.0)
    span = ("2030-01-01", "2031-01-01", "6h")
    on_terrain = site_summary(-89.9, 45.0, *span, terrain=flat, n_azimuths=72)
    bare = site_summary(-89.9, 45.0, *span, n_azimuths=72)
    assert on_terrain.terrain.startswith("terrain flat")
    one_epoch = 100.0 / on_terrain.n_epochs
    assert 10.0 < bare.lit_percent < 90.0
    assert on_terrain.lit_percent == pytest.approx(bare.lit_percent, abs=one_epoch)
    assert on_terrain.earth_visible_percent == pytest.approx(bare.earth_visible_percent, abs=1e-9)
    assert on_terrain.longest_dark_hours == pytest.approx(bare.longest_dark_hours, abs=6.0)


def test_skipping_samples_changes_nothing():
    """The skip bounds (how far the Sun and the Earth can move per step) are conservative:
    results with and without skipping are identical, on rough horizons at several steps."""
    rng = np.random.default_rng(11)
    n = 12
    yy, xx = (np.mgrid[0:n, 0:n] - n / 2) * 1500.0
    rho = np.hypot(xx + 3000.0, yy) + 1.0
    lat = -90.0 + np.degrees(2 * np.arctan(rho / (2 * 1_737_400.0)))
    lon = np.mod(np.degrees(np.arctan2(xx + 3000.0, yy)), 360.0)
    az = np.radians(np.arange(360.0))
    horizon = sum(
        rng.uniform(0, 1.5 / k, (n, n, 1)) * np.sin(k * az + rng.uniform(0, 6.3, (n, n, 1)))
        for k in (1, 2, 3, 7, 20)
    ) + rng.uniform(-0.5, 1.0, (n, n, 1))
    for step in ("1h", "20min", "6h"):
        t = time_range("2030-05-01", "2030-07-01", step)
        fast = visibility_statistics(horizon, lat, lon, 500.0, t)
        slow = visibility_statistics(horizon, lat, lon, 500.0, t, skip=False)
        for name in (
            "lit_percent",
            "effective_illumination_percent",
            "earth_visible_percent",
            "lit_and_earth_percent",
            "longest_dark_hours",
            "longest_dark_start",
        ):
            np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
