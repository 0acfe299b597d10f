"""``moonbase sky``: output, files and one-line errors for bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from moonbase.cli.app import main

GOOD = [
    "sky",
    "--lat",
    "-89.45",
    "--lon",
    "222.69",
    "--start",
    "2030-01-01",
    "--stop",
    "2030-02-01",
]


def test_sky_prints_summary_and_writes_csv_and_png(tmp_path, capsys):
    csv, png = tmp_path / "sky.csv", tmp_path / "plots" / "sky.png"
    assert main([*GOOD, "--step", "6h", "--csv", str(csv), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Sun" in out and "Earth" in out and "125 epochs" in out
    series = pd.read_csv(csv, index_col=0)
    assert len(series) == 125
    assert {"sun_elevation_deg", "earth_elevation_deg", "sun_disk_fraction"} <= set(series.columns)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--lat", "95", "--lon", "0", "--start", "2030-01-01", "--stop", "2031-01-01"], "--lat"),
        (["--lat", "-89", "--lon", "0", "--start", "2031-01-01", "--stop", "2030-01-01"], "--stop"),
        (
            ["--lat", "-89", "--lon", "0", "--start", "01/02/2030", "--stop", "2031-01-01"],
            "--start",
        ),
        (
            ["--lat", "-89", "--lon", "0", "--start", "1850-01-01", "--stop", "1851-01-01"],
            "--start",
        ),
        (["--lat", "x", "--lon", "0", "--start", "2030-01-01", "--stop", "2031-01-01"], "--lat"),
        (
            [
                "--lat",
                "-89",
                "--lon",
                "0",
                "--start",
                "2030-01-01",
                "--stop",
                "2031-01-01",
                "--step",
                "5q",
            ],
            "--step",
        ),
        (["--lon", "0", "--start", "2030-01-01", "--stop", "2031-01-01"], "--lat"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, field, capsys):
    assert main(["sky", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("moonbase: error: ")
    assert captured.err.count("\n") == 1
    assert field in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_out_of_range_names_the_valid_span(capsys):
    args = ["--lat", "-89", "--lon", "0", "--start", "2049-06-01", "--stop", "2052-01-01"]
    assert main(["sky", *args, "--step", "1d"]) == 2
    assert "1900-01-01 to 2051-01-01" in capsys.readouterr().err


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "sky" in capsys.readouterr().out
