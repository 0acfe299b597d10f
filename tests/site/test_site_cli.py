"""``moonbase site ...`` end to end: the packaged real DEM by default, the synthetic terrain on request.

Small and coarse: short spans, few azimuths, and the far field off where it is not the point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.cli.app import main

SPAN = ["--start", "2030-01-01", "--stop", "2030-02-01", "--step", "12h", "--azimuths", "36"]
SYNTHETIC = ["--synthetic-terrain"]


def test_site_map_writes_geotiffs_pngs_and_csv(tmp_path, capsys):
    rasterio = pytest.importorskip("rasterio")
    out = tmp_path / "map"
    assert main(["site", "map", *SPAN, *SYNTHETIC, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC terrain" in text and "permanently shadowed area" in text
    assert "far field: off" in text
    cells = pd.read_csv(out / "cells.csv")
    assert len(cells) == 128 * 128
    with rasterio.open(out / "lit_percent.tif") as tif:
        lit = tif.read(1)
        assert tif.crs is not None and tif.transform.a == pytest.approx(400.0)
    np.testing.assert_allclose(lit.ravel(), cells["lit_percent"], atol=1e-4)
    assert (out / "permanent_shadow.png").stat().st_size > 10_000
    # Permanent shadow is judged at the ground: every cell never lit at the 2 m mast is in it
    # (and maybe cells lit only from the mast).
    assert cells.loc[cells["lit_percent"] == 0, "permanent_shadow"].all()


def test_site_rank_lists_top_sites_in_region(tmp_path, capsys):
    out = tmp_path / "rank"
    args = ["site", "rank", *SPAN, *SYNTHETIC, "--out", str(out), "--top", "3"]
    assert main([*args, "--region", "-89.7,0,8", "--weights", "lit=1,earth=0.5"]) == 0
    text = capsys.readouterr().out
    assert "top 3 sites" in text
    table = pd.read_csv(out / "ranking.csv")
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["score"].is_monotonic_decreasing
    assert (out / "lit_percent.png").is_file()


def test_site_point_on_synthetic_terrain(tmp_path, capsys):
    out = tmp_path / "point"
    args = ["site", "point", "--lat", "-89.8", "--lon", "45", "--height-m", "10", *SPAN, *SYNTHETIC]
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC terrain" in text and "longest darkness" in text
    series = pd.read_csv(out / "series.csv")
    assert len(series) == 63
    summary = pd.read_csv(out / "summary.csv")
    assert summary["lit_percent"].iloc[0] == pytest.approx(100 * series["lit"].mean())


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--height-m", "-5"], "--height-m"),
        (["--region", "nowhere"], "--region"),
        (["--weights", "lit=lots"], "--weights"),
        (["--step", "soon"], "--step"),
    ],
)
def test_site_bad_options_give_one_line_errors(tmp_path, capsys, extra, field):
    args = ["site", "rank", *SPAN, "--out", str(tmp_path / "x"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"moonbase: error: {field}") and "Traceback" not in err


def test_site_point_defaults_to_the_packaged_dem_with_far_field(capsys):
    """No --dem: the packaged LOLA-derived DEM, and the far field when a global grid is there."""
    from moonbase.terrain import far_field_available

    args = ["site", "point", "--lat", "-89.44", "--lon", "222.6", *SPAN]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "real terrain: packaged LOLA-derived 200 m crop" in out and "SYNTHETIC" not in out
    if far_field_available():
        assert "far field: far field from moon_dem.npz" in out
    else:
        assert "far field MISSING" in out
    assert main([*args, "--no-far-field"]) == 0
    assert "far field: off" in capsys.readouterr().out


def test_site_point_outside_the_packaged_dem_names_what_covers_it(capsys):
    assert main(["site", "point", "--lat", "-85", "--lon", "10", *SPAN]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("moonbase: error: --lat, --lon: -85, 10 lies outside the packaged")
    assert "LDEM_80S_20MPP_ADJ.TIF" in err and "\n" not in err


def test_synthetic_terrain_and_a_dem_together_are_refused(tmp_path, capsys):
    dem = tmp_path / "flat.npy"
    np.save(dem, np.zeros((8, 8)))
    args = ["site", "point", "--lat", "-89.9", "--lon", "0", *SPAN, *SYNTHETIC, "--dem", str(dem)]
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("moonbase: error: --synthetic-terrain:")


def _pit_dem(tmp_path):
    """A flat 11 x 11 map of 50 m cells 3 km from the pole with one cell 2.7 m deep.

    From its floor the walls rise 2.7 m at 50-71 m: horizon 2.19-3.09 deg, above the Sun's
    highest (about 1.9 deg for the disk's top), so the ground there is never lit; 2 m up the
    horizon drops to 0.57-0.80 deg and the Sun is seen 39 % of 2030 (daily steps, measured).
    """
    from moonbase.terrain import flat_terrain

    flat = flat_terrain((11, 11), 50.0, center_xy_m=(0.0, 3000.0))
    heights = np.zeros((11, 11))
    heights[5, 5] = -2.7
    path = tmp_path / "pit.npy"
    np.save(path, heights)
    return path, ["--dem", str(path), "--dem-corner", f"{flat.x0_m},{flat.y0_m}"]


def test_permanent_shadow_is_judged_at_ground_level(tmp_path, capsys):
    """The pit's floor sees the Sun only from the 2 m mast: lit there, yet permanently shadowed."""
    _, dem = _pit_dem(tmp_path)
    out = tmp_path / "map"
    args = ["site", "map", *dem, "--dem-pixel-m", "50", "--no-far-field", "--start", "2030-01-01"]
    args += ["--stop", "2031-01-01", "--step", "1d", "--azimuths", "72", "--height-m", "2"]
    assert main([*args, "--out", str(out)]) == 0
    capsys.readouterr()
    cells = pd.read_csv(out / "cells.csv").set_index(["row", "col"])
    pit = cells.loc[(5, 5)]
    assert pit["lit_percent"] > 20.0  # at the mast
    assert bool(pit["permanent_shadow"])  # at the ground
    assert int(cells["permanent_shadow"].sum()) == 1
    # With the eye on the ground the two agree: never lit, and permanently shadowed.
    assert main([*args, "--height-m", "0", "--out", str(tmp_path / "ground")]) == 0
    ground = pd.read_csv(tmp_path / "ground" / "cells.csv").set_index(["row", "col"])
    assert ground.loc[(5, 5), "lit_percent"] == 0.0 and bool(ground.loc[(5, 5), "permanent_shadow"])


def test_a_dem_with_an_edited_square_is_refused_unless_allowed(tmp_path, capsys):
    heights = np.zeros((40, 40))
    heights[10:30, 10:30] -= 150.0
    path = tmp_path / "edited.npy"
    np.save(path, heights)
    args = ["site", "point", "--lat", "-89.99", "--lon", "0", *SPAN, "--no-far-field"]
    args += ["--dem", str(path), "--dem-corner", "-4000,4000", "--dem-pixel-m", "200"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "between rows 9 and 10 along columns 10..29" in err and "check_artefacts=False" in err
    assert "\n" not in err
    assert main([*args, "--allow-dem-artefacts"]) == 0
