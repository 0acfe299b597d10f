"""``moonbase site ...`` end to end on the documented synthetic terrain (small and coarse)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.cli.app import main

SPAN = ["--start", "2030-01-01", "--stop", "2030-02-01", "--step", "12h", "--azimuths", "36"]


def test_site_map_writes_geotiffs_pngs_and_csv(tmp_path, capsys):
    rasterio = pytest.importorskip("rasterio")
    out = tmp_path / "map"
    assert main(["site", "map", *SPAN, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC terrain" in text and "permanently shadowed area" in text
    cells = pd.read_csv(out / "cells.csv")
    assert len(cells) == 128 * 128
    with rasterio.open(out / "lit_percent.tif") as tif:
        lit = tif.read(1)
        assert tif.crs is not None and tif.transform.a == pytest.approx(400.0)
    np.testing.assert_allclose(lit.ravel(), cells["lit_percent"], atol=1e-4)
    assert (out / "permanent_shadow.png").stat().st_size > 10_000
    # Permanently shadowed cells are exactly the never-lit ones.
    assert ((cells["lit_percent"] == 0) == cells["permanent_shadow"]).all()


def test_site_rank_lists_top_sites_in_region(tmp_path, capsys):
    out = tmp_path / "rank"
    args = ["site", "rank", *SPAN, "--out", str(out), "--top", "3"]
    assert main([*args, "--region", "-89.7,0,8", "--weights", "lit=1,earth=0.5"]) == 0
    text = capsys.readouterr().out
    assert "top 3 sites" in text
    table = pd.read_csv(out / "ranking.csv")
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["score"].is_monotonic_decreasing
    assert (out / "lit_percent.png").is_file()


def test_site_point_on_synthetic_terrain(tmp_path, capsys):
    out = tmp_path / "point"
    args = ["site", "point", "--lat", "-89.8", "--lon", "45", "--height-m", "10", *SPAN]
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
