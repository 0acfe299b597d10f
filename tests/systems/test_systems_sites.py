"""Storage needs at two real sites (flat-horizon DE421 ephemeris) and the CLI end to end."""

from __future__ import annotations

import json

from moonbase.cli.app import main
from moonbase.constants import SYNODIC_MONTH_DAYS
from moonbase.systems import (
    battery_capacity_for_night_wh,
    flat_horizon_drivers,
    simulate_station,
    size_component,
)

LOAD_W = 2000.0
RT, DOD = 0.9, 0.8


def station():
    return {
        "components": [
            {
                "type": "solar_array",
                "name": "pv",
                "rated_power_w": 30_000.0,
                "mount": "vertical_tracking",
                "degradation_per_year": 0.0,
            },
            {
                "type": "battery",
                "name": "bat",
                "capacity_wh": 1e6,
                "round_trip_efficiency": RT,
                "depth_of_discharge": DOD,
            },
            {"type": "load", "name": "survival", "power_w": LOAD_W, "priority": 1},
        ]
    }


def test_longest_darkness_needs_more_storage():
    # Equator (0 N, 0 E, flat ground): nights of half a synodic month, 29.53 d * 12 = 354 h.
    # Polar ridge stand-in (89.45 S, 222.69 E, level horizon 1.5 deg below the eye: a peak
    # ~600 m above its surroundings on a bare sphere, arccos(R / (R + h)) = 1.5 deg): a shorter
    # longest darkness in 2030. Each site's battery is sized by bisection on the simulation.
    equator = flat_horizon_drivers(0.0, 0.0, "2030-01-01", "2031-01-01", "1h")
    ridge = flat_horizon_drivers(-89.45, 222.69, "2030-01-01", "2031-01-01", "1h", horizon_deg=-1.5)
    dark_eq = simulate_station(station(), equator).kpis["longest_dark_hours"]
    dark_ridge = simulate_station(station(), ridge).kpis["longest_dark_hours"]
    assert abs(dark_eq - SYNODIC_MONTH_DAYS * 12) <= 3.0  # hourly steps, disk-edge definition
    assert dark_ridge < dark_eq - 48
    size_eq = size_component(station(), equator, "bat", margin=0.0, rtol=1e-4).minimum
    size_ridge = size_component(station(), ridge, "bat", margin=0.0, rtol=1e-4).minimum
    assert size_eq > size_ridge
    # physical lower bound: the whole longest complete darkness on the battery alone
    for size, dark in ((size_eq, dark_eq), (size_ridge, dark_ridge)):
        bound = battery_capacity_for_night_wh(
            LOAD_W, dark, round_trip_efficiency=RT, depth_of_discharge=DOD
        )
        assert size >= bound * (1 - 1e-4)
    # at the equator the array covers the load within about an hour of sunset and sunrise,
    # so the bisection stays within 3 load-hours of the bound
    bound_eq = battery_capacity_for_night_wh(
        LOAD_W, dark_eq, round_trip_efficiency=RT, depth_of_discharge=DOD
    )
    assert size_eq <= bound_eq + battery_capacity_for_night_wh(
        LOAD_W, 3, round_trip_efficiency=RT, depth_of_discharge=DOD
    )


def test_cli_run_and_size(tmp_path, capsys):
    out = tmp_path / "series.csv"
    kpis = tmp_path / "kpis.json"
    assert (
        main(
            [
                "simulate",
                "run",
                "--start",
                "2034-01-01",
                "--stop",
                "2034-02-01",
                "--crew",
                "4",
                "--failures",
                "--out",
                str(out),
                "--kpis-json",
                str(kpis),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "energy_not_served_kwh" in text and "conservation" in text
    data = json.loads(kpis.read_text())
    assert data["steps"] == 31 * 24 + 1
    assert data["max_balance_relative_residual"] < 1e-12
    assert out.stat().st_size > 0
    assert (
        main(
            [
                "simulate",
                "size",
                "--component",
                "li-ion",
                "--start",
                "2034-01-01",
                "--stop",
                "2034-03-01",
                "--margin",
                "0.1",
            ]
        )
        == 0
    )
    assert "li-ion.capacity_wh" in capsys.readouterr().out
    assert main(["simulate", "run", "--out", str(tmp_path / "x.txt"), "--stop", "2030-01-02"]) == 2
    assert ".parquet or .csv" in capsys.readouterr().err


def test_cli_run_takes_the_terrain_horizon_by_default(capsys):
    """No terrain option: the packaged real DEM (and far field) gives the site's horizon."""
    args = ["simulate", "run", "--start", "2034-01-01", "--stop", "2034-01-03"]
    assert main(args) == 0
    captured = capsys.readouterr()
    out = " ".join(captured.out.split())
    assert "terrain: real terrain: packaged LOLA-derived 200 m crop" in out
    assert "site horizon at 2 m: lit" in out
    assert "WARNING" not in captured.err
    assert main([*args, "--no-far-field"]) == 0
    assert "far field: off" in capsys.readouterr().out


def test_cli_flat_horizon_only_when_asked_and_loudly(capsys):
    args = ["simulate", "run", "--start", "2034-01-01", "--stop", "2034-01-03"]
    assert main([*args, "--flat-horizon", "--horizon-deg", "0"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: level horizon at 0 deg all around, no terrain" in " ".join(
        captured.err.split()
    )
    assert "terrain:" not in captured.out
    assert main([*args, "--horizon-deg", "0"]) == 2
    assert capsys.readouterr().err.startswith(
        "moonbase: error: --horizon-deg: a level horizon is used only with --flat-horizon"
    )


def test_cli_site_outside_the_dem_is_refused_in_one_line(capsys):
    args = ["simulate", "run", "--lat", "-86", "--lon", "30", "--stop", "2030-01-02"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("moonbase: error: --lat, --lon: -86, 30 lies outside the packaged")
    assert "pass --dem with a LOLA south polar DEM that reaches -86 deg" in err
    assert "\n" not in err
