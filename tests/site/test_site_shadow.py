"""Permanent shadow at ground level: a pit whose floor sees the Sun only from a 2 m mast."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.errors import InputError
from moonbase.site import ground_permanent_shadow, visibility_statistics
from moonbase.terrain import Terrain, flat_terrain, horizon_map
from moonbase.time import time_range


@pytest.fixture(scope="module")
def pit():
    """11 x 11 cells of 50 m, 3 km from the pole, the centre cell 2.7 m deep.

    Floor horizon 2.19-3.09 deg at 0 m (above the Sun's disk all of 2030), 0.57-0.80 deg at 2 m
    (lit 39 % of 2030 in daily steps; measured).
    """
    flat = flat_terrain((11, 11), 50.0, center_xy_m=(0.0, 3000.0))
    heights = np.zeros((11, 11))
    heights[5, 5] = -2.7
    terrain = Terrain(heights, flat.x0_m, flat.y0_m, 50.0)
    lat, lon = terrain.latlon_grids()
    times = time_range("2030-01-01", "2031-01-01", "1d")
    horizons = {h: horizon_map(terrain, n_azimuths=72, height_above_ground_m=h) for h in (0, 2)}
    mast = visibility_statistics(horizons[2].elevation_deg, lat, lon, heights + 2.0, times)
    return terrain, lat, lon, times, horizons, mast


def test_pit_floor_is_lit_from_the_mast_yet_permanently_shadowed(pit):
    terrain, lat, lon, times, horizons, mast = pit
    assert mast.lit_percent[5, 5] > 20.0 and not mast.permanent_shadow.any()
    ground = ground_permanent_shadow(
        horizons[0].elevation_deg,
        lat,
        lon,
        terrain.elevation_m,
        times,
        shadowed_at_mast=mast.permanent_shadow,
    )
    expected = np.zeros((11, 11), dtype=bool)
    expected[5, 5] = True
    np.testing.assert_array_equal(ground, expected)
    # Without the mast's map every cell is computed: the same answer.
    full = ground_permanent_shadow(horizons[0].elevation_deg, lat, lon, terrain.elevation_m, times)
    np.testing.assert_array_equal(full, expected)


def test_cells_shadowed_at_the_mast_stay_shadowed(pit):
    terrain, lat, lon, times, horizons, _ = pit
    known = np.zeros((11, 11), dtype=bool)
    known[0, 0] = True  # taken as given, not recomputed
    ground = ground_permanent_shadow(
        horizons[0].elevation_deg, lat, lon, terrain.elevation_m, times, shadowed_at_mast=known
    )
    assert ground[0, 0] and ground[5, 5] and ground.sum() == 2
    with pytest.raises(InputError, match="shadowed_at_mast"):
        ground_permanent_shadow(
            horizons[0].elevation_deg,
            lat,
            lon,
            terrain.elevation_m,
            times,
            shadowed_at_mast=np.zeros((3, 3), dtype=bool),
        )
