"""Straight-edged steps in DEMs: found in the shared crop's edited square, absent from terrain."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.errors import InputError
from moonbase.terrain import (
    DemArtefact,
    Terrain,
    check_dem_artefacts,
    cone_crater,
    dem_artefacts,
    read_dem,
    reference_dem,
    synthetic_terrain,
)

SHACKRIDGE = ("dem", "lola_shackleton_godotrobot", "shackridge_200m_256x256_elev_m.npy")


@pytest.mark.shared_data
def test_raw_shared_crop_is_flagged_at_its_edited_square(shared_data):
    heights = np.load(shared_data.joinpath(*SHACKRIDGE))
    found = dem_artefacts(heights)
    # The four edges of rows/cols 103..152, lowered by about 145 m.
    assert [(a.axis, a.index, a.start, a.stop) for a in found] == [
        (0, 103, 103, 153),
        (0, 153, 103, 153),
        (1, 103, 103, 153),
        (1, 153, 103, 153),
    ]
    assert [np.sign(a.mean_step_m) for a in found] == [-1, 1, -1, 1]
    assert all(120.0 < abs(a.mean_step_m) < 160.0 for a in found)


@pytest.mark.shared_data
def test_read_dem_refuses_the_raw_crop_in_one_line(shared_data):
    path = shared_data.joinpath(*SHACKRIDGE)
    georef = {"corner_xy_m": (-30_000.0, 15_000.0), "pixel_m": 200.0}
    with pytest.raises(InputError) as error:
        read_dem(path, **georef)
    message = str(error.value)
    assert "\n" not in message and message.startswith(str(path))
    assert "between rows 102 and 103 along columns 103..152 and 3 more" in message
    assert "check_artefacts=False" in message and "reference_dem()" in message
    assert len(error.value.artefacts) == 4
    assert read_dem(path, check_artefacts=False, **georef).shape == (256, 256)


def test_packaged_repaired_dem_is_clean():
    assert dem_artefacts(reference_dem().elevation_m) == []


@pytest.mark.parametrize("seed", range(6))
def test_synthetic_terrains_are_clean(seed):
    assert dem_artefacts(synthetic_terrain(seed=seed).elevation_m) == []
    assert dem_artefacts(synthetic_terrain((128, 128), 400.0, seed=seed).elevation_m) == []


def test_cone_crater_and_a_steep_straight_wall_are_clean():
    assert dem_artefacts(cone_crater().elevation_m) == []
    # A straight wall 2 km high over 10 cells: 200 m steps, but each like its neighbours.
    wall = np.zeros((40, 40))
    wall[15:25] = -200.0 * np.arange(1, 11)[:, None]
    wall[25:] = -2000.0
    assert dem_artefacts(wall) == []
    assert dem_artefacts(wall.T) == []


def test_injected_step_is_found_at_its_place():
    terrain = synthetic_terrain((128, 128), 200.0, seed=4)
    heights = terrain.elevation_m.copy()
    heights[60:, 30:70] += 120.0  # a block raised from row 60 down, columns 30..69
    found = dem_artefacts(heights)
    rows = [a for a in found if a.axis == 0]
    assert rows == [DemArtefact(0, 60, 30, 70, pytest.approx(120.0, abs=15.0))]
    # The block's sides (columns 29|30 and 69|70, rows 60..127), perhaps in a few pieces where
    # the terrain's own curvature eats into the step.
    cols = [a for a in found if a.axis == 1]
    assert {a.index for a in cols} == {30, 70}
    assert all(60 <= a.start < a.stop <= 128 for a in cols)
    for index in (30, 70):
        assert sum(a.length_px for a in cols if a.index == index) >= 50
    assert rows[0].describe().endswith("m step between rows 59 and 60 along columns 30..69")
    with pytest.raises(InputError, match=r"^edited: a \+1\d\d m step between rows 59 and 60"):
        check_dem_artefacts(heights, source="edited")
    # A shorter or smaller step is not reported.
    assert dem_artefacts(heights, min_step_m=200.0) == []
    assert dem_artefacts(heights, min_length_px=80) == []
    assert isinstance(Terrain(heights, 0.0, 0.0, 200.0), Terrain)


def test_bad_arguments_are_refused():
    with pytest.raises(InputError, match="min_step_m"):
        dem_artefacts(np.zeros((8, 8)), min_step_m=0)
    with pytest.raises(InputError, match="elevation_m"):
        dem_artefacts(np.zeros(8))
