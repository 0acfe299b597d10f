"""The how-to's scenario field tables come from the models and miss no field."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "sphinx", reason="the docs extra is not installed: pip install 'moonbase[docs]'"
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "_ext"))

import scenario_fields

from moonbase.scenario.models import Element, Launcher, RelayOrbit, Scenario


def test_every_model_and_field_is_in_the_tables():
    models = scenario_fields.models()
    assert models[0] is Scenario
    for model in (Element, Launcher, RelayOrbit):
        assert model in models
    text = "\n".join(scenario_fields.rst_lines())
    for model in models:
        assert f"{model.__name__}" in text
        for name in model.model_fields:
            assert f"* - ``{name}``" in text, f"{model.__name__}.{name}"


def test_units_follow_the_names():
    rows = {row.key: row for row in scenario_fields.rows(Element)}
    assert rows["mass_tli_kg"].unit == "kg"
    assert rows["power_produced_w"].unit == "W"
    assert rows["energy_storage_wh"].unit == "Wh"
    assert rows["downlink_rate_mbps"].unit == "Mbit/s"
    assert rows["data_buffer_gbit"].unit.startswith("Gbit")
    assert rows["surface_stay_days"].unit == "days"
    assert rows["id"].unit == "" and rows["id"].type == "id"
    assert rows["provenance"].default == "**required**"
    assert rows["mass_tli_kg"].bounds == "> 0"
    launcher = {row.key: row for row in scenario_fields.rows(Launcher)}
    assert launcher["landed_fraction"].bounds == "> 0, <= 1"
    assert launcher["cadence_per_year"].unit == "per year"


def test_provenance_rules():
    assert "``provenance`` (required)" in scenario_fields.provenance_rule(Element)
    assert "mass_provenance" in scenario_fields.provenance_rule(Element)
    assert "``source`` (required)" in scenario_fields.provenance_rule(Element)
    assert scenario_fields.provenance_rule(Scenario) == ""
