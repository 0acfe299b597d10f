"""Projection and grid geometry against pyproj (IAU_2015:30135), spherical trigonometry and the
georeferencing README of the shared LOLA crop."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.constants import MOON_RADIUS_M
from moonbase.errors import InputError
from moonbase.terrain import Terrain, flat_terrain, latlon_of_xy, read_dem, xy_of_latlon
from moonbase.terrain.projection import unit_vectors_of_xy

MM = 1e-3  # metre
ARCSEC = 1.0 / 3600.0  # degree

SHACKRIDGE = "dem/lola_shackleton_godotrobot/shackridge_200m_256x256_elev_m.npy"


def test_closed_form_matches_pyproj_iau_2015_30135():
    pyproj = pytest.importorskip("pyproj")
    rng = np.random.default_rng(0)
    lat = rng.uniform(-90.0, -75.0, 200)
    lon = rng.uniform(0.0, 360.0, 200)
    to_map = pyproj.Transformer.from_crs(
        pyproj.CRS.from_user_input("IAU_2015:30100"),  # Moon (2015) sphere, geographic
        pyproj.CRS.from_user_input("IAU_2015:30135"),  # south polar stereographic
        always_xy=True,
    )
    x_ref, y_ref = to_map.transform(lon, lat)
    x, y = xy_of_latlon(lat, lon)
    assert np.max(np.abs(x - x_ref)) < 1 * MM
    assert np.max(np.abs(y - y_ref)) < 1 * MM
    lat_back, lon_back = latlon_of_xy(x, y)
    assert np.max(np.abs(lat_back - lat)) < 1e-6 * ARCSEC
    assert np.max(np.abs((lon_back - lon + 180) % 360 - 180)) < 1e-6 * ARCSEC


def test_unit_vectors_match_latitude_longitude():
    lat = np.array([-89.5, -85.0, -80.0, -89.999])
    lon = np.array([10.0, 123.0, 250.0, 300.0])
    u = unit_vectors_of_xy(*xy_of_latlon(lat, lon))
    phi, lam = np.radians(lat), np.radians(lon)
    expected = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1)
    assert np.max(np.abs(u - expected)) < 1e-12


def test_grid_bearing_is_local_azimuth_plus_longitude():
    """A target straight along grid bearing b from a point at longitude lon has local azimuth
    b - lon, by the spherical forward-azimuth formula (independent of the projection code)."""
    rng = np.random.default_rng(1)
    x0, y0 = rng.uniform(-60e3, 60e3, (2, 50))
    bearing = rng.uniform(0, 2 * np.pi, 50)
    step = 50.0  # m: short, so the straight grid line and the great circle agree
    lat1, lon1 = np.radians(latlon_of_xy(x0, y0))
    lat2, lon2 = np.radians(latlon_of_xy(x0 + step * np.sin(bearing), y0 + step * np.cos(bearing)))
    dlon = lon2 - lon1
    azimuth = np.arctan2(
        np.sin(dlon) * np.cos(lat2),
        np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon),
    )
    predicted = bearing - np.arctan2(x0, y0)
    diff = np.degrees((azimuth - predicted + np.pi) % (2 * np.pi) - np.pi)
    assert np.max(np.abs(diff)) < 1e-3  # degrees (the 50 m chord's own turning is ~1e-5 deg)


def test_pixel_geometry_and_outside_points():
    t = flat_terrain((4, 6), 100.0, center_xy_m=(1000.0, -500.0))
    x, y = t.xy_grids()
    assert x[0, 0] == 1000.0 - 300.0 + 50.0 and y[0, 0] == -500.0 + 200.0 - 50.0
    assert np.all(np.diff(t.y_m) < 0) and np.all(np.diff(t.x_m) > 0)
    lat, lon = t.latlon_grids()
    row, col = t.pixel_of_latlon(lat[2, 5], lon[2, 5])
    assert (int(row), int(col)) == (2, 5)
    with pytest.raises(InputError, match="outside the map"):
        t.pixel_of_latlon(-80.0, 0.0)


def test_slope_of_a_tilted_plane():
    """Heights rising 0.1 m per grid metre along x near the pole: slope atan(0.1 k)."""
    rows, cols, pixel = 8, 8, 100.0
    x = -400 + (np.arange(cols) + 0.5) * pixel
    heights = np.tile(0.1 * x, (rows, 1))
    t = Terrain(heights, x0_m=-400.0, y0_m=400.0, pixel_m=pixel)
    k = 1 + (400.0**2 * 2) / (4 * MOON_RADIUS_M**2)  # scale factor at most here: 1 + 5e-8
    assert np.allclose(
        t.slope_deg(), np.degrees(np.arctan(0.1)), atol=np.degrees(0.1 * (k - 1)) + 1e-9
    )


def test_nan_heights_refused_by_terrain():
    heights = np.zeros((3, 3))
    heights[1, 2] = np.nan
    with pytest.raises(InputError, match=r"1 of 9 heights.*row 1, col 2"):
        Terrain(heights, x0_m=0.0, y0_m=0.0, pixel_m=10.0)


@pytest.mark.shared_data
def test_shared_crop_georeferencing(shared_data):
    """The README of the crop: pole at the corner of pixel (row 75, col 150); the maximum
    (+1873 m) at 89.44 S, 222.6 E on the Connecting Ridge."""
    t = read_dem(
        shared_data / SHACKRIDGE,
        corner_xy_m=(-30_000.0, 15_000.0),
        pixel_m=200.0,
        check_artefacts=False,  # the raw crop, edited square included
    )
    row, col = t.pixel_of_latlon(-90.0, 0.0, fractional=True)
    assert (float(row), float(col)) == (74.5, 149.5)
    lat, lon = t.latlon_grids()
    top = np.argmax(t.elevation_m)
    assert abs(t.elevation_m.flat[top] - 1873.4) < 0.1
    assert abs(lat.flat[top] - (-89.44)) < 0.005 and abs(lon.flat[top] - 222.6) < 0.05
