"""Element locations: required, validated against ``[[locations]]``, and the reference's places.

Edits start from the shipped template (valid) as in ``test_scenario_errors``; the expected line
is found by searching the edited text, independently of the loader's line scanner.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from moonbase.cli.app import main
from moonbase.scenario import ScenarioError, builtin_scenario, loads_scenario
from moonbase.scenario.models import RESERVED_LOCATIONS, Element, Location, Site
from moonbase.scenario.toml_io import dumps_scenario, template_path
from moonbase.terrain.projection import xy_of_latlon

TEMPLATE = template_path().read_text(encoding="utf-8")
KM = 1000.0  # metres

# Packaged DEM crop (shared/data/dem, polar stereographic, R = 1737.4 km): x and y spans in metres.
DEM_X_M = (-30.0 * KM, 21.2 * KM)
DEM_Y_M = (-36.2 * KM, 15.0 * KM)

LOCATION_BLOCK = """
[[locations]]
id = "RIM-A"
name = "A rim"
latitude_deg = -85.0
longitude_deg = 30.0
provenance = "notional"
source = "test"
"""


def edit(old: str, new: str, text: str = TEMPLATE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def line_containing(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def problems_of(text: str):
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(text, file="s.toml")
    return caught.value.problems


@pytest.fixture(scope="module")
def ilrs():
    return builtin_scenario("ilrs-reference")


# -- validation -----------------------------------------------------------------------------------


def test_named_location_is_accepted():
    text = edit('location = "site"\nlanded_mass_kg', 'location = "RIM-A"\nlanded_mass_kg')
    scenario = loads_scenario(text + LOCATION_BLOCK)
    lab = scenario.element("LAB-1")
    assert not lab.lands_at_site
    assert scenario.location_of(lab) == scenario.location("RIM-A")
    assert scenario.location_of(scenario.element("POWER-1")) is None  # at the site
    assert scenario.element("POWER-1").lands_at_site


def test_unknown_location_is_one_line_with_the_choices():
    text = edit('location = "site"\nlanded_mass_kg', 'location = "RIM-B"\nlanded_mass_kg')
    text += LOCATION_BLOCK
    (problem,) = [p for p in problems_of(text) if "unknown location" in p.message]
    assert problem.message == "element 'LAB-1' is placed at unknown location 'RIM-B'"
    assert problem.field == "elements[1].location"
    assert problem.line == line_containing(text, 'location = "RIM-B"')
    hint = problem.hint
    assert "did you mean 'RIM-A'?" in hint
    for choice in ('"site"', '"orbit"', '"elsewhere"', "RIM-A"):
        assert choice in hint
    line = problem.one_line()
    assert line.startswith(f"s.toml:{problem.line}: elements[1].location: ")
    assert "\n" not in line


def test_unknown_location_via_cli_exits_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(edit('location = "site"\nlanded_mass_kg', 'location = "moon"\nlanded_mass_kg'))
    assert main(["scenario", "validate", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[-1] == f"{path}: 1 problem"
    (line,) = [x for x in lines if "unknown location" in x]
    assert line.startswith("bad.toml:") and "elements[1].location" in line
    assert '"site"' in line and '"orbit"' in line and '"elsewhere"' in line
    assert "Traceback" not in captured.err + captured.out


def test_missing_location_says_what_to_write():
    text = edit('location = "site"\nlanded_mass_kg', "landed_mass_kg")
    (problem,) = [p for p in problems_of(text + LOCATION_BLOCK) if p.field.endswith("location")]
    assert problem.field == "elements[1].location"
    assert "missing required key 'location'" in problem.message
    assert 'location = "site"' in problem.hint and "RIM-A" in problem.hint
    # the line of the [[elements]] table that lacks it
    assert problem.line == line_containing(text, 'id = "LAB-1"') - 1


def test_element_in_python_requires_a_location():
    with pytest.raises(ValidationError, match="location"):
        Element(id="X", name="x", partner="P", role="power", provenance="notional", source="t")


def test_location_ids_must_not_shadow_reserved_words():
    block = LOCATION_BLOCK.replace('id = "RIM-A"', 'id = "orbit"')
    (problem,) = [p for p in problems_of(TEMPLATE + block) if "reserved" in p.message]
    assert problem.field == "locations[0].id"


def test_duplicate_location_ids_are_reported():
    problems = problems_of(TEMPLATE + LOCATION_BLOCK + LOCATION_BLOCK)
    assert any(p.field == "locations[1].id" and "duplicate id" in p.message for p in problems)


def test_named_location_may_give_only_a_landed_mass():
    # a surface place: TLI mass follows from the launcher's landed fraction, as at the site
    text = edit('location = "site"\nlanded_mass_kg', 'location = "RIM-A"\nlanded_mass_kg')
    assert loads_scenario(text + LOCATION_BLOCK).element("LAB-1").mass_tli_kg is None
    # but orbit / elsewhere still need mass_tli_kg
    text = edit('location = "site"\nlanded_mass_kg', 'location = "elsewhere"\nlanded_mass_kg')
    assert any("only a landed mass" in p.message for p in problems_of(text))


def test_site_search_radius_is_positive():
    assert Site(name="s", latitude_deg=-89.0, longitude_deg=0.0).search_radius_km == 5.0
    with pytest.raises(ValidationError):
        Site(name="s", latitude_deg=-89.0, longitude_deg=0.0, search_radius_km=0.0)
    text = edit("search_radius_km = 5.0", "search_radius_km = -1.0")
    (problem,) = problems_of(text)
    assert problem.field == "site.search_radius_km"


# -- the reference scenario -----------------------------------------------------------------------


def test_every_reference_element_has_an_explicit_location(ilrs):
    known = set(RESERVED_LOCATIONS) | {x.id for x in ilrs.locations}
    for element in ilrs.elements:
        assert element.location in known, element.id


def test_change8_lands_at_leibnitz_beta_not_at_the_site(ilrs):
    ce8 = ilrs.element("CE-8")
    assert not ce8.lands_at_site
    place = ilrs.location_of(ce8)
    assert place.id == "LEIBNITZ-BETA" and "Leibnitz" in place.name
    assert place.latitude_deg < -80  # south polar region (CNSA, 2025-04-24)
    # CNSA, 2025-04-24: "around 2029"
    assert ce8.earliest_launch.year == 2029 and ce8.target_launch.year == 2029
    assert "CE-8" in ilrs.policies.basic_model  # still part of the basic model


def test_change7_keeps_its_reported_target(ilrs):
    ce7 = ilrs.element("CE-7")
    place = ilrs.location_of(ce7)
    assert place.id == "CE7-TARGET"
    assert place.name == "Peak near Shackleton's south-east ridge (Chang'e-7 reported target)"
    assert (place.latitude_deg, place.longitude_deg) == (-88.8, 123.4)
    # no launch record found as of 2026-12-03: still planned, no earlier than August 2026
    assert ce7.is_planned or ce7.launched_on is not None
    if ce7.is_planned:
        assert ce7.earliest_launch >= date(2026, 8, 1)


def test_reference_site_is_inside_the_packaged_dem(ilrs):
    site = ilrs.site
    assert "Connecting Ridge" in site.name
    x_m, y_m = (float(v) for v in xy_of_latlon(site.latitude_deg, site.longitude_deg))
    margin_m = 3 * KM + site.search_radius_km * KM  # a few km, plus the search radius
    assert DEM_X_M[0] + margin_m <= x_m <= DEM_X_M[1] - margin_m
    assert DEM_Y_M[0] + margin_m <= y_m <= DEM_Y_M[1] - margin_m
    # Chang'e-7's reported target (88.8°S) lies outside the crop, which is why it is not the site
    x7, _ = (float(v) for v in xy_of_latlon(-88.8, 123.4))
    assert not (DEM_X_M[0] <= x7 <= DEM_X_M[1])


def test_luna27_is_two_landers_one_per_pole(ilrs):
    ids = {e.id for e in ilrs.elements}
    assert "LUNA-27" not in ids
    first, second = ilrs.element("LUNA-27.1"), ilrs.element("LUNA-27.2")
    # RAS president, 2025-08-22: 2029 and 2030
    assert (first.earliest_launch.year, second.earliest_launch.year) == (2029, 2030)
    poles = {ilrs.location_of(first).latitude_deg, ilrs.location_of(second).latitude_deg}
    assert poles == {90.0, -90.0}
    # Luna-26 moved to 2028; Luna-28 "three to four years" after Luna-27; Luna-30 2035-36
    assert ilrs.element("LUNA-26").earliest_launch.year == 2028
    assert ilrs.element("LUNA-28").earliest_launch.year >= 2033
    assert ilrs.element("LUNA-29").location == "orbit"
    luna30 = ilrs.element("LUNA-30")
    assert (luna30.earliest_launch, luna30.latest_launch) == (date(2035, 1, 1), date(2036, 12, 31))


def test_partner_facts_updated(ilrs):
    assert "SUPARCO" in ilrs.partner("PAKISTAN").agency
    pakistan_elements = {e for c in ilrs.partner("PAKISTAN").contributions for e in c.elements}
    assert "CE-8" in pakistan_elements  # Chang'e-8 rover, selected 2025-04-24
    # the Chang'e-8 international payload providers (CNSA, 2025-04-24) are partners on CE-8
    for partner_id in (
        "THAILAND",
        "PAKISTAN",
        "TURKEY",
        "SOUTH-AFRICA",
        "PERU",
        "BAHRAIN",
        "EGYPT",
        "ITALY",
        "ROSCOSMOS",
        "HONG-KONG",
        "IRAN",
        "ISTVS",
    ):
        partner = ilrs.partner(partner_id)
        assert any("CE-8" in c.elements for c in partner.contributions), partner_id
        assert partner.source and partner.provenance in {"announced", "reported"}
    assert ilrs.partner("ILOA").joined == date(2023, 7, 1)  # July 2023 (day notional)


def test_power_plant_is_announced_for_2036(ilrs):
    npu = ilrs.element("NPU")
    assert npu.provenance == "announced"  # memorandum May 2025, state contract Dec 2025
    assert npu.latest_launch == date(2036, 12, 31)
    assert "ANGARA-A5" in npu.allowed_launchers
    assert "2036" in ilrs.partner("ROSCOSMOS").source


def test_partner_goal_and_signed_count(ilrs):
    goal = ilrs.policies.partner_goal
    assert (goal.countries, goal.institutions, goal.researchers) == (50, 500, 5000)
    signed = ilrs.policies.signed_partners
    assert signed.count == 17 and signed.as_of == date(2025, 4, 25)
    assert signed.count < goal.countries


def test_reference_round_trips_with_locations_and_policies(ilrs):
    again = loads_scenario(dumps_scenario(ilrs))
    assert again == ilrs
    assert [x.id for x in again.locations] == [x.id for x in ilrs.locations]


def test_campaign_window_contains_the_flown_history(ilrs):
    for element in ilrs.elements:
        if element.launched_on is not None and element.state == "flown":
            assert ilrs.campaign.start <= element.launched_on <= ilrs.campaign.end, element.id


def test_location_model_needs_a_source():
    with pytest.raises(ValidationError):
        Location(id="A", name="a", latitude_deg=0.0, longitude_deg=0.0, provenance="notional")
