"""TOML -> model -> TOML round trips, atomic writes, and the line scanner, on built-in files and
on random valid scenarios (hypothesis)."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moonbase.scenario import (
    Scenario,
    builtin_path,
    builtin_scenario,
    dumps_scenario,
    load_scenario,
    loads_scenario,
    scenario_to_toml,
    validate_scenario,
)
from moonbase.scenario.models import RESERVED_LOCATIONS
from moonbase.scenario.toml_io import template_path
from moonbase.scenario.toml_lines import line_map

FILES = [builtin_path("ilrs-reference"), template_path()]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_model_file_round_trip(path, tmp_path):
    scenario = load_scenario(path)
    out = scenario_to_toml(scenario, tmp_path / "sub" / "copy.toml")
    again = load_scenario(out)
    assert again == scenario
    # the written text is a fixed point, and equal as data to what tomllib reads
    assert dumps_scenario(again) == out.read_text(encoding="utf-8")
    assert tomllib.loads(out.read_text(encoding="utf-8"))["name"] == scenario.name
    assert sorted(p.name for p in out.parent.iterdir()) == ["copy.toml"]  # no temp file left


def test_write_replaces_existing_file_atomically(tmp_path, monkeypatch):
    target = tmp_path / "s.toml"
    target.write_text("old", encoding="utf-8")
    scenario = builtin_scenario()

    def explode(value):
        raise RuntimeError("disk full")

    # a failure while writing leaves the old file untouched and no temporary file behind
    monkeypatch.setattr("moonbase.scenario.toml_io._prune", explode)
    with pytest.raises(RuntimeError):
        scenario_to_toml(scenario, target)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old"
    scenario_to_toml(scenario, target)
    assert load_scenario(target) == scenario
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


def _leaf_paths(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, dict) or (
                isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
            ):
                yield from _leaf_paths(value, prefix + (key,))
            else:
                yield prefix + (key,)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaf_paths(value, prefix + (index,))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_line_scanner_finds_every_key_of_the_shipped_files(path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")  # TOML lines end at "\n" only (not at U+2028 and the like)
    found = line_map(text)
    paths = list(_leaf_paths(tomllib.loads(text)))
    assert len(paths) > 20
    for leaf in paths:
        line = lines[found[leaf] - 1]
        assert line.lstrip().startswith(f"{leaf[-1]} =") or f" {leaf[-1]} = " in line, leaf


# -- random valid scenarios -----------------------------------------------------------------------

IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True)
# any text, including quotes, backslashes, control characters and non-ASCII (not surrogates)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
TEXT1 = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)
TAGS = st.sampled_from(["power", "comms", "relay", "isru", "x-1", "habitat"])


def _finite(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def scenarios(draw) -> Scenario:
    start = draw(st.dates(date(1950, 1, 1), date(2100, 1, 1)))
    end = start + timedelta(days=draw(st.integers(30, 20000)))
    partner_ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    partners = [
        {
            "id": pid,
            "name": draw(TEXT1),
            "agency": draw(TEXT1),
            "kind": draw(st.sampled_from(["state", "organisation"])),
            "budget_musd_per_year": draw(st.none() | _finite(0.001, 1e6)),
            "contributions": [],
            "source": draw(TEXT),
        }
        for pid in partner_ids
    ]
    launchers = []
    for lid in draw(st.lists(IDS, min_size=1, max_size=3, unique=True)):
        launchers.append(
            {
                "id": lid,
                "name": draw(TEXT1),
                "partner": draw(st.sampled_from(partner_ids)),
                "capacity_tli_kg": draw(_finite(1.0, 1e5)),
                "landed_fraction": draw(_finite(0.01, 1.0)),
                "cadence_per_year": draw(_finite(0.1, 24.0)),
                "first_available": start - timedelta(days=draw(st.integers(0, 3000))),
                "reliability": {
                    "alpha": draw(_finite(0.01, 1e3)),
                    "beta": draw(_finite(0.01, 1e3)),
                    "basis": draw(TEXT),
                },
                "cost_per_launch_musd": draw(st.none() | _finite(0.0, 1e4)),
            }
        )
    capacity = max(launcher["capacity_tli_kg"] for launcher in launchers)
    location_ids = draw(
        st.lists(IDS.filter(lambda x: x not in RESERVED_LOCATIONS), max_size=2, unique=True)
    )
    locations = [
        {
            "id": xid,
            "name": draw(TEXT1),
            "latitude_deg": draw(_finite(-90.0, 90.0)),
            "longitude_deg": draw(_finite(-360.0, 360.0)),
            "provenance": draw(st.sampled_from(["announced", "reported", "notional"])),
            "source": draw(TEXT1),
        }
        for xid in location_ids
    ]
    elements, provided = [], set()
    for eid in draw(st.lists(IDS, max_size=6, unique=True)):
        mass = capacity * draw(_finite(1e-6, 1.0))
        earlier = [element["id"] for element in elements]
        element = {
            "id": eid,
            "name": draw(TEXT1),
            "partner": draw(st.sampled_from(partner_ids)),
            "role": draw(st.sampled_from(["power", "research", "relay", "habitat"])),
            "location": draw(st.sampled_from(["site", "orbit", "elsewhere", *location_ids])),
            "mass_tli_kg": mass,
            "landed_mass_kg": draw(st.none() | st.just(mass * 0.3)),
            "power_produced_w": draw(st.none() | _finite(0.0, 1e6)),
            "crew": draw(st.integers(0, 6)),
            "surface_stay_days": draw(_finite(1e-3, 60.0)),
            "landed_o2_kg": draw(st.none() | _finite(0.0, 1e3)),
            "provides": draw(st.lists(TAGS, max_size=3, unique=True)),
            "needs": draw(st.lists(st.sampled_from(sorted(provided)), max_size=2, unique=True))
            if provided
            else [],
            "requires": draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))
            if earlier
            else [],
            "earliest_launch": draw(st.none() | st.just(start)),
            "latest_launch": draw(st.none() | st.just(end)),
            "provenance": draw(st.sampled_from(["announced", "reported", "notional"])),
            "source": draw(TEXT1),
            "note": draw(TEXT),
        }
        provided |= set(element["provides"])
        elements.append(element)
    element_ids = [element["id"] for element in elements]
    experiments = [
        {
            "id": xid,
            "partner": draw(st.sampled_from(partner_ids)),
            "category": draw(st.sampled_from(["basic_science", "technology_verification"])),
            "duration_h": draw(_finite(0.01, 24.0 * 29)),
            "windows": draw(st.lists(st.sampled_from(["any", "sunlit", "dark"]), min_size=1)),
            "requires": draw(st.lists(st.sampled_from(element_ids), max_size=2, unique=True))
            if element_ids
            else [],
        }
        for xid in draw(st.lists(IDS, max_size=3, unique=True))
    ]
    basic = (
        draw(st.lists(st.sampled_from(element_ids), min_size=1, unique=True)) if element_ids else []
    )
    policies = {
        "objective": ["earliest_basic_model", "least_cost"] if basic else ["least_cost"],
        "basic_model": basic,
        "co_manifesting": draw(st.booleans()),
        "landing_min_sun_elevation_deg": draw(_finite(-5.0, 45.0)),
    }
    data = {
        "name": draw(TEXT1),
        "description": draw(TEXT),
        "site": {
            "name": draw(TEXT1),
            "latitude_deg": draw(_finite(-90.0, 90.0)),
            "longitude_deg": draw(_finite(-360.0, 360.0)),
            "height_m": draw(_finite(-1e4, 1e4)),
            "search_radius_km": draw(_finite(0.001, 100.0)),
        },
        "locations": locations,
        "campaign": {
            "start": start,
            "end": end,
            "bucket": draw(st.sampled_from(["week", "month"])),
        },
        "policies": policies,
        "partners": partners,
        "launchers": launchers,
        "elements": [{k: v for k, v in e.items() if v is not None} for e in elements],
        "experiments": experiments,
    }
    for launcher in launchers:
        if launcher["cost_per_launch_musd"] is None:
            del launcher["cost_per_launch_musd"]
    for partner in partners:
        if partner["budget_musd_per_year"] is None:
            del partner["budget_musd_per_year"]
    return Scenario.model_validate(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_valid_scenarios_round_trip(scenario):
    assert validate_scenario(scenario) == []
    text = dumps_scenario(scenario)
    again = loads_scenario(text, file="random.toml")
    assert again == scenario
    assert dumps_scenario(again) == text
    # the line scanner places every key of the written file on a line that names it
    lines = text.split("\n")  # TOML lines end at "\n" only (not at U+2028 and the like)
    found = line_map(text)
    for leaf in _leaf_paths(tomllib.loads(text)):
        assert lines[found[leaf] - 1].startswith(f"{leaf[-1]} = "), leaf


def test_json_round_trip_for_web_and_report_use():
    # strict models still accept ISO date strings in JSON mode (pydantic's JSON rules)
    scenario = builtin_scenario()
    assert Scenario.model_validate_json(scenario.model_dump_json()) == scenario
