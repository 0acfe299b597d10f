"""Station definitions: validation errors name the field, files load, the CLI reports them."""

from __future__ import annotations

import json

import pytest

from moonbase.cli.app import main
from moonbase.errors import InputError
from moonbase.systems import COMPONENT_TYPES, load_station, parse_station, reference_station


def one(component: dict):
    return {"components": [component]}


def test_negative_capacity_names_the_field():
    with pytest.raises(InputError) as error:
        parse_station(one({"type": "battery", "name": "b", "capacity_wh": -5.0}))
    assert error.value.field == "components[0].capacity_wh"
    assert "greater than or equal to 0" in error.value.message
    assert "-5.0" in error.value.message


def test_efficiency_above_one_names_the_field():
    with pytest.raises(InputError) as error:
        parse_station(
            one(
                {
                    "type": "regenerative_fuel_cell",
                    "name": "r",
                    "capacity_wh": 1e5,
                    "round_trip_efficiency": 1.2,
                }
            )
        )
    assert error.value.field == "components[0].round_trip_efficiency"
    assert "less than or equal to 1" in error.value.message


def test_unknown_type_lists_the_valid_ones():
    with pytest.raises(InputError) as error:
        parse_station(
            {
                "components": [
                    {"type": "load", "name": "a", "power_w": 1.0},
                    {"type": "warp_drive", "name": "w"},
                ]
            }
        )
    assert error.value.field == "components[1].type"
    assert "warp_drive" in error.value.message
    for name in COMPONENT_TYPES:
        assert name in error.value.hint


def test_other_mistakes():
    with pytest.raises(InputError, match="used twice"):
        parse_station({"components": [{"type": "load", "name": "a", "power_w": 1.0}] * 2})
    with pytest.raises(InputError) as error:
        parse_station(one({"type": "load", "name": "a", "power_kw": 1.0}))
    assert error.value.field == "components[0].power_kw"
    assert "did you mean 'power_w'?" in error.value.hint
    with pytest.raises(InputError, match="depth-of-discharge floor"):
        parse_station(
            one(
                {
                    "type": "battery",
                    "name": "b",
                    "capacity_wh": 1.0,
                    "depth_of_discharge": 0.5,
                    "initial_soc": 0.3,
                }
            )
        )


def test_toml_and_json_files(tmp_path):
    toml = tmp_path / "station.toml"
    toml.write_text(
        'name = "outpost"\n\n[[components]]\ntype = "fission_reactor"\nname = "fsp"\n'
        "power_w = 40000.0\narrival_utc = 2034-01-01T00:00:00\n\n[[components]]\n"
        'type = "battery"\nname = "bat"\ncapacity_wh = -1.0\n'
    )
    with pytest.raises(InputError) as error:
        load_station(toml)
    assert error.value.field == "station.toml: components[1].capacity_wh"
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(reference_station().model_dump(mode="json")))
    assert load_station(path) == reference_station()


def test_cli_prints_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            one({"type": "battery", "name": "b", "capacity_wh": 1e4, "round_trip_efficiency": 1.5})
        )
    )
    assert main(["simulate", "run", "--station", str(bad), "--stop", "2030-01-02"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("moonbase: error: bad.json: components[0].round_trip_efficiency:")
    assert "\n" not in err


def test_drivers_validation_names_the_series():
    import numpy as np
    import pandas as pd

    from moonbase.systems import Drivers

    times = pd.date_range("2030-01-01", periods=4, freq="h")
    ok = Drivers(times, np.ones(4), np.zeros(4), np.full(4, 370.0), np.ones(4))
    assert ok.step_s == 3600.0 and ok.sun_azimuth_deg[0] == 10.0
    assert not ok.sun_fraction.flags.writeable
    with pytest.raises(InputError) as error:
        Drivers(times, np.ones(3), np.zeros(4), np.zeros(4), np.ones(4))
    assert error.value.field == "sun_fraction" and "expected 4 values" in error.value.message
    with pytest.raises(InputError, match=r"\[0.0, 1.0\]") as error:
        Drivers(times, np.full(4, 1.5), np.zeros(4), np.zeros(4), np.ones(4))
    with pytest.raises(InputError, match="uniform step"):
        Drivers(times[[0, 1, 3]], np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
