"""Bad input on the command line: one line on stderr naming the file or option, exit status 2."""

from __future__ import annotations

import pytest

from moonbase.cli.app import main


def _one_line_error(capsys, args, *words) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("moonbase: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    for word in words:
        assert word in lines[0], lines[0]


def test_sky_csv_to_an_existing_folder(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    args = ["sky", "--lat", "-89", "--lon", "0", "--start", "2030-01-01", "--stop", "2030-01-02"]
    _one_line_error(capsys, [*args, "--csv", str(folder)], "--csv", "is a folder")
    assert list(folder.iterdir()) == []  # nothing was written


def test_station_file_that_is_not_utf8(tmp_path, capsys):
    station = tmp_path / "station.toml"
    station.write_bytes(b"\xff\xfe[[components]]\nname = 'x'\n")
    _one_line_error(capsys, ["simulate", "run", "--station", str(station)], "station.toml", "UTF-8")


def test_empty_npy_dem(tmp_path, capsys):
    dem = tmp_path / "empty.npy"
    dem.write_bytes(b"")
    args = ["site", "point", "--lat", "-89.45", "--lon", "222.69", "--dem", str(dem)]
    args += ["--dem-corner", "-1000,1000", "--dem-pixel-m", "100"]
    _one_line_error(capsys, args, "empty.npy", "not a readable .npy array")


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_campaign_plan_needs_a_worker(capsys, workers):
    _one_line_error(capsys, ["campaign", "plan", "--workers", workers], "--workers", ">= 1")
