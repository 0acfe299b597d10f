"""Illumination on the real LOLA-derived crops around Shackleton and the Connecting Ridge.

Data: ``../shared/data/dem/lola_shackleton_godotrobot/`` (south polar stereographic on
R = 1737.4 km):

* ``shackridge_200m_256x256_elev_m.npy``: 200 m cells, outer corner x = -30.0 km, y = +15.0 km.
  Its central 51 x 51 patch was edited for a game; as the data README prescribes, it is replaced
  by the 40 m crop block-averaged 5 x 5.
* ``shackzoom_40m_256x256_elev_m.npy``: 40 m cells, outer corner x = -9.52 km, y = -5.48 km
  (README, from the crop arithmetic), covering the Shackleton rim where the Connecting Ridge
  meets it. Its horizons use the patched 200 m crop as the outer (far-field) DEM.

References:

* Shackleton crater: centre 89.67 S, 129.78 E, diameter 21 km (IAU Gazetteer of Planetary
  Nomenclature), so its rim is the circle of radius ~10.5 km about that centre.
* Connecting Ridge high point 89.44 S, 222.6 E (the 200 m crop's maximum, data README).
* Glaser et al. 2018 (PSS, 2017-01-01 .. 2037-01-01, hourly, 20 m DTM, 50 x 50 km around each
  pole): the most illuminated polar sites average 69.5-82.9 % at the surface and 77.1-88.0 % at
  2 m (the 2 m maximum on the Shackleton-de Gerlache ridge). The abstract calls these "average
  illumination levels" and does not say how a partly hidden solar disk counts; the closer of our
  two measures is probably the effective one (mean visible fraction of the disk), not verified.

Measured (2017-2037, 6 h steps, 360 azimuths; best cell of each map; "lit" = any part of the
disk above the horizon, "effective" = mean visible fraction of the disk):

=============  ======  ======  =========  ===========================================
crop           height  lit %   effective  best cell
=============  ======  ======  =========  ===========================================
200 m          0 m     93.4    91.0       89.691 S 198.05 E, 10.9 km from Shackleton
40 m in 200 m  0 m     91.6    86.1       89.687 S 197.29 E, 10.8 km (rim, ridge end)
200 m          2 m     95.7    92.5       89.777 S 205.43 E, 10.6 km
40 m in 200 m  2 m     96.1    92.8       89.783 S 203.84 E, 10.4 km (rim, ridge end)
=============  ======  ======  =========  ===========================================

Hourly steps at the two 40 m cells change these by < 0.02 points. At the surface the 40 m crop
is closer to the published range (effective 3.2 points above its top instead of 8.1); at 2 m
both crops agree (effective 4.8 points above 88.0 %; Glaser et al. 2014 give 92.27 % at 2 m on
the ridge over a precession cycle). The remaining excess is expected from these crops: no
terrain beyond ~25-40 km (no Malapert massif, no Leibnitz beta; a 500 km far field measured
once outside the suite lowered the 200 m best only to 91.6 % lit, 87.8 % effective), median
filtering and resampling that smooth local horizons down, and comparing one best cell with
published site values. DESIGN.md expects agreement to about +-10 points on this crop; the
assertions use that band.

The 40 m cells evaluated are those within 300 m of the ten best-lit 200 m cells inside the 40 m
footprint (~850 cells), horizons by exact marching (``horizon_at_points``). Checked once outside
the suite: the full 40 m map (``horizon_map`` sweep over all 65,536 cells, daily steps) has its
maximum lit and effective percentages at the same two cells, at both heights.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from moonbase.site import visibility_statistics
from moonbase.time import time_range

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

SHACKLETON_CENTRE = (-89.67, 129.78)
SHACKLETON_RIM_RADIUS_KM = 10.5
RIDGE_HIGH_POINT = (-89.44, 222.6)
GLASER_2018_PERCENT = {0.0: (69.5, 82.9), 2.0: (77.1, 88.0)}  # by height above ground (m)
DESIGN_TOLERANCE_POINTS = 10.0
FOLDER = ("dem", "lola_shackleton_godotrobot")


@pytest.fixture(scope="module")
def shackleton(shared_data):
    terrain_module = pytest.importorskip("moonbase.terrain")
    folder = shared_data.joinpath(*FOLDER)
    zoom = np.load(folder / "shackzoom_40m_256x256_elev_m.npy").astype(float)
    # The packaged DEM: the 200 m crop with its edited square repaired from the 40 m crop.
    terrain = terrain_module.reference_dem()
    heights = np.asarray(terrain.elevation_m, dtype=float)
    horizon = terrain_module.horizon_map(terrain, n_azimuths=360, height_above_ground_m=0.0)
    lat, lon = terrain.latlon_grids()
    # The whole map at daily steps (7,306 epochs) to find where the light is; the 6-hour runs
    # below refine the cells the assertions are about.
    daily = time_range("2017-01-01", "2037-01-01", "1d")
    stats = visibility_statistics(horizon.elevation_deg, lat, lon, heights, daily)
    x, y = terrain.xy_grids()
    return SimpleNamespace(
        tm=terrain_module,
        terrain=terrain,
        zoom=zoom,
        stats=stats,
        x=x,
        y=y,
        inputs=(horizon.elevation_deg, lat, lon, heights),
    )


@pytest.fixture(scope="module")
def ridge_40m(shackleton):
    """6-hourly statistics of the 40 m cells around the best-lit 200 m cells, at 0 and 2 m."""
    tm, coarse = shackleton.tm, shackleton.terrain
    fine = tm.Terrain(
        shackleton.zoom, x0_m=-9_520.0, y0_m=-5_480.0, pixel_m=40.0, source="shackzoom"
    )
    x_min, x_max, y_min, y_max = fine.bounds_m
    x, y = shackleton.x, shackleton.y
    inside = (x > x_min) & (x < x_max) & (y > y_min) & (y < y_max)
    best = np.argsort(-np.where(inside, shackleton.stats.lit_percent, -1.0).ravel())[:10]
    fx, fy = fine.xy_grids()
    near = np.zeros(fine.shape, dtype=bool)
    for k in best:
        near |= np.hypot(fx - x.ravel()[k], fy - y.ravel()[k]) <= 300.0
    lat, lon = (a[near] for a in fine.latlon_grids())
    times = time_range("2017-01-01", "2037-01-01", "6h")
    stats = {}
    for height in GLASER_2018_PERCENT:
        horizon = tm.horizon_at_points(
            fine, lat, lon, height_above_ground_m=height, n_azimuths=360, outer=coarse
        )
        heights = fine.elevation_m[near] + height
        stats[height] = visibility_statistics(horizon, lat, lon, heights, times)
    return SimpleNamespace(stats=stats, x=fx[near], y=fy[near], n_cells=int(near.sum()))


def _six_hourly(inputs, mask):
    horizon, lat, lon, heights = inputs
    times = time_range("2017-01-01", "2037-01-01", "6h")
    return visibility_statistics(horizon[mask], lat[mask], lon[mask], heights[mask], times)


def _distance_km(terrain_module, x, y, latlon):
    px, py = terrain_module.xy_of_latlon(*latlon)
    return np.hypot(x - px, y - py) / 1000.0


def test_best_lit_points_are_on_the_rim_or_ridge(shackleton):
    tm, stats, x, y = shackleton.tm, shackleton.stats, shackleton.x, shackleton.y
    from_centre = _distance_km(tm, x, y, SHACKLETON_CENTRE)
    from_ridge = _distance_km(tm, x, y, RIDGE_HIGH_POINT)
    on_rim = np.abs(from_centre - SHACKLETON_RIM_RADIUS_KM) < 1.5
    on_ridge = from_ridge < 4.0
    # The ten best-lit cells all lie on the Shackleton rim or the Connecting Ridge.
    best = np.argsort(-stats.lit_percent.ravel())[:10]
    assert np.all((on_rim | on_ridge).ravel()[best])
    # And they are much better lit than the map at large (median cell: a few tens of percent).
    assert stats.lit_percent.ravel()[best].min() > np.median(stats.lit_percent) + 30.0
    # The ridge itself is among the well lit places (> 80 %).
    assert stats.lit_percent[on_ridge].max() > 80.0


def test_shackleton_floor_is_permanently_shadowed(shackleton):
    tm, stats, x, y = shackleton.tm, shackleton.stats, shackleton.x, shackleton.y
    floor = _distance_km(tm, x, y, SHACKLETON_CENTRE) < 6.0
    assert floor.sum() > 2000  # ~113 km2 of 0.04 km2 cells
    assert stats.permanent_shadow[floor].all()
    fine = _six_hourly(shackleton.inputs, floor)
    assert fine.permanent_shadow.all()
    assert fine.longest_dark_hours.min() == pytest.approx(fine.n_epochs * 6.0)
    # The rim around it is not: the PSR ends inside the crater.
    rim = np.abs(_distance_km(tm, x, y, SHACKLETON_CENTRE) - SHACKLETON_RIM_RADIUS_KM) < 0.5
    assert not stats.permanent_shadow[rim].all()


@pytest.mark.parametrize("height_m", sorted(GLASER_2018_PERCENT))
def test_best_40m_point_against_glaser_2018(ridge_40m, shackleton, height_m):
    stats = ridge_40m.stats[height_m]
    assert ridge_40m.n_cells > 500
    lit = float(stats.lit_percent.max())
    effective = float(stats.effective_illumination_percent.max())
    low, high = GLASER_2018_PERCENT[height_m]
    # Both measures of the best cell within the published range widened by DESIGN.md's
    # +-10 points (measured: 91.6 / 86.1 % at the surface, 96.1 / 92.8 % at 2 m).
    for value in (lit, effective):
        assert low - DESIGN_TOLERANCE_POINTS <= value <= high + DESIGN_TOLERANCE_POINTS
    assert effective <= lit
    # The best cell sits on the Shackleton rim (where the Connecting Ridge meets it).
    k = int(np.argmax(stats.effective_illumination_percent))
    from_centre = _distance_km(shackleton.tm, ridge_40m.x[k], ridge_40m.y[k], SHACKLETON_CENTRE)
    assert abs(from_centre - SHACKLETON_RIM_RADIUS_KM) < 1.5
    # Dark spells at the best cell last days, not the ~2 weeks of a lunar night.
    assert stats.longest_dark_hours[k] < 7 * 24


def test_raising_the_observer_brings_more_light(ridge_40m):
    # The same cells 2 m up see more of the Sun than at the surface (never less).
    ground, raised = ridge_40m.stats[0.0], ridge_40m.stats[2.0]
    assert np.all(raised.lit_percent >= ground.lit_percent)
    assert np.all(
        raised.effective_illumination_percent >= ground.effective_illumination_percent - 1e-9
    )
    assert raised.effective_illumination_percent.max() > ground.effective_illumination_percent.max()
