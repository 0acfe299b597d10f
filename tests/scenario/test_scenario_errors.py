"""Scenario errors: each class of mistake gives its message, field path and the right line.

Every case starts from the shipped minimal template (which is valid) and changes a few lines.
The expected line number is found by the test itself, by searching the edited text for the
changed line (plain ``str.splitlines``), independently of the loader's TOML line scanner.
"""

from __future__ import annotations

import tomllib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moonbase.scenario import ScenarioError, loads_scenario, validate_scenario
from moonbase.scenario.toml_io import _emit_table, template_path

TEMPLATE = template_path().read_text(encoding="utf-8")

LAB_BLOCK_START = '[[elements]]\nid = "LAB-1"'


def edit(old: str, new: str, text: str = TEMPLATE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the template"
    return text.replace(old, new)


def line_containing(text: str, fragment: str, occurrence: int = 0) -> int:
    """1-based line of the ``occurrence``-th line that contains ``fragment``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence]


def problems_of(text: str):
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(text, file="s.toml")
    return caught.value.problems


def only(problems, fragment: str):
    """The one problem whose message contains ``fragment``."""
    found = [p for p in problems if fragment in p.message]
    assert len(found) == 1, [p.one_line() for p in problems]
    return found[0]


def test_template_is_valid():
    assert loads_scenario(TEMPLATE).name == "My station"


def test_unknown_dependency_names_element_and_line():
    text = edit("requires = []  # element ids", 'requires = ["POWER-9"]  # element ids')
    problem = only(problems_of(text), "depends on unknown element")
    assert problem.message == "'LAB-1' depends on unknown element 'POWER-9'"
    assert problem.field == "elements[1].requires[0]"
    assert problem.line == line_containing(text, 'requires = ["POWER-9"]')
    assert "did you mean 'POWER-1'?" in problem.hint
    assert problem.one_line().startswith(f"s.toml:{problem.line}: elements[1].requires[0]: ")


def test_cycle_is_listed_in_full():
    # POWER-1 -> LAB-1 -> PLANT-1 -> POWER-1, with a multi-line requires array in the new element.
    text = edit(
        'provides = ["power", "comms"]', 'provides = ["power", "comms"]\nrequires = ["LAB-1"]'
    )
    text = edit("requires = []  # element ids", 'requires = ["PLANT-1"]  # element ids', text)
    text += (
        '\n[[elements]]\nid = "PLANT-1"\nname = "Plant"\npartner = "AGENCY-A"\nrole = "isru"\nlocation = "site"\n'
        'mass_tli_kg = 1000.0\nrequires = [\n  "POWER-1",\n]\nprovenance = "notional"\n'
        'source = "test"\n'
    )
    problem = only(problems_of(text), "circular dependency")
    assert problem.message == "circular dependency: POWER-1 -> LAB-1 -> PLANT-1 -> POWER-1"
    assert problem.field == "elements[0].requires"
    assert problem.line == line_containing(text, 'requires = ["LAB-1"]')


def test_self_dependency_is_a_cycle():
    text = edit("requires = []  # element ids", 'requires = ["LAB-1"]  # element ids')
    problem = only(problems_of(text), "circular dependency")
    assert problem.message == "circular dependency: LAB-1 -> LAB-1"


def test_capability_deadlock_is_listed():
    # The power lander now needs 'research', which only the lab provides; the lab needs power.
    text = edit(
        'provides = ["power", "comms"]', 'provides = ["power", "comms"]\nneeds = ["research"]'
    )
    text = edit(
        'needs = ["power", "comms"]  #',
        'provides = ["research"]\nneeds = ["power", "comms"]  #',
        text,
    )
    problem = only(problems_of(text), "circular capability dependency")
    assert "POWER-1 needs 'research' from LAB-1" in problem.message
    assert "LAB-1 needs 'power' from POWER-1" in problem.message
    assert problem.line == line_containing(text, 'needs = ["research"]')


def test_capability_nobody_provides():
    text = edit('needs = ["power", "comms"]', 'needs = ["power", "thermal"]')
    problem = only(problems_of(text), "no element provides it")
    assert problem.message == "element 'LAB-1' needs 'thermal' but no element provides it"
    assert problem.field == "elements[1].needs[1]"
    assert problem.line == line_containing(text, 'needs = ["power", "thermal"]')


def test_mass_above_the_only_launcher():
    # 10,000 kg launcher; 12,345 kg element: the message of the issue, in kg.
    text = edit("mass_tli_kg = 9000.0", "mass_tli_kg = 12345.0")
    problem = only(problems_of(text), "no launcher can carry it")
    assert problem.message == (
        "launcher HEAVY-1 capacity 10,000 kg < element POWER-1 mass 12,345 kg at TLI "
        "(no launcher can carry it)"
    )
    assert problem.field == "elements[0].mass_tli_kg"
    assert problem.line == line_containing(text, "mass_tli_kg = 12345.0")


def test_landed_mass_is_converted_with_the_landed_fraction():
    # 3,600 kg landed / 0.35 = 10,286 kg at TLI > 10,000 kg; 3,400 kg -> 9,714 kg fits.
    text = edit("landed_mass_kg = 3000.0", "landed_mass_kg = 3600.0")
    problem = only(problems_of(text), "no launcher can carry it")
    assert "element LAB-1 mass 10,286 kg at TLI (3,600 kg landed / 0.35 landed fraction)" in (
        problem.message
    )
    assert validate_scenario_text(edit("landed_mass_kg = 3000.0", "landed_mass_kg = 3400.0")) == []


def test_mass_above_every_launcher_names_the_largest():
    second = (
        '\n[[launchers]]\nid = "MEDIUM-1"\nname = "Medium"\npartner = "AGENCY-B"\n'
        "capacity_tli_kg = 4000.0\nlanded_fraction = 0.3\ncadence_per_year = 1.0\n"
        "first_available = 2025-01-01\nreliability = { alpha = 1.0, beta = 1.0 }\n"
    )
    text = edit("mass_tli_kg = 9000.0", "mass_tli_kg = 12000.0") + second
    problem = only(problems_of(text), "no launcher can carry it")
    assert problem.message == (
        "element POWER-1 needs 12,000 kg at TLI but the largest of its 2 launchers, HEAVY-1, "
        "carries 10,000 kg (no launcher can carry it)"
    )


def test_no_launcher_in_the_element_window():
    text = edit("first_available = 2029-01-01", "first_available = 2035-06-01")
    problem = only(problems_of(text), "is available between")
    assert problem.message.startswith(
        "no launcher able to carry element 'LAB-1' is available between 2030-06-01 and 2034-12-31"
    )
    assert problem.line == line_containing(text, "latest_launch = 2034-12-31")


def test_bad_types_are_described_in_toml_terms():
    text = edit("latitude_deg = -89.44", 'latitude_deg = "-89.44"')
    text = edit("earliest_launch = 2030-06-01", 'earliest_launch = "2030-06-01"', text)
    text = edit("co_manifesting = true", "co_manifesting = 1", text)
    problems = problems_of(text)
    by_field = {p.field: p for p in problems}
    assert by_field["site.latitude_deg"].message == "expected a number, got text '-89.44'"
    assert by_field["site.latitude_deg"].line == line_containing(text, 'latitude_deg = "-89.44"')
    date_problem = by_field["elements[1].earliest_launch"]
    assert date_problem.message.startswith("expected a date written YYYY-MM-DD (without quotes)")
    assert date_problem.line == line_containing(text, 'earliest_launch = "2030-06-01"')
    assert by_field["policies.co_manifesting"].message == "expected true or false, got 1"


def test_out_of_range_values():
    text = edit("landed_fraction = 0.35", "landed_fraction = 1.5")
    problem = only(problems_of(text), "less than or equal to 1")
    assert problem.field == "launchers[0].landed_fraction"
    assert problem.message == "expected a value less than or equal to 1, got 1.5"


def test_missing_field_points_at_its_table():
    text = edit('name = "Laboratory module"\n', "")
    problem = only(problems_of(text), "missing required key")
    assert problem.message == "missing required key 'name'"
    assert problem.field == "elements[1].name"
    # the [[elements]] header of LAB-1 (the second [[elements]] table)
    assert problem.line == line_containing(text, "[[elements]]", occurrence=1)
    assert "[[elements]] number 2" in problem.hint


def test_missing_section_hint_names_the_table():
    start = TEMPLATE.index("[[partners]]")
    end = TEMPLATE.index("[[launchers]]")
    problems = problems_of(TEMPLATE[:start] + TEMPLATE[end:])
    problem = next(p for p in problems if p.field == "partners")
    assert problem.message == "missing required key 'partners'"
    assert problem.hint == "add at least one [[partners]] table"


def test_unknown_key_suggests_the_right_one():
    text = edit("power_produced_w = 10000.0", "power_produced_kw = 10.0")
    problem = only(problems_of(text), "unknown key")
    assert (
        problem.message == "unknown key 'power_produced_kw' in [[elements]] number 1 (elements[0])"
    )
    assert problem.hint.startswith("did you mean 'power_produced_w'? valid keys: id, name,")
    assert problem.line == line_containing(text, "power_produced_kw = 10.0")


def test_unknown_choice_lists_the_options():
    text = edit('bucket = "month"', 'bucket = "fortnight"')
    problem = only(problems_of(text), "expected one of")
    assert problem.message == (
        "got text 'fortnight', expected one of 'week', 'month', 'quarter' or 'year'"
    )


def test_toml_syntax_error_has_its_line():
    text = edit("cadence_per_year = 2.0  #", "cadence_per_year = 2.0.0  #")
    (problem,) = problems_of(text)
    assert problem.field == "TOML syntax"
    assert problem.line == line_containing(text, "cadence_per_year = 2.0.0")


def test_all_problems_are_collected_not_just_the_first():
    text = edit("requires = []  # element ids", 'requires = ["NOPE"]  # element ids')
    text = edit("mass_tli_kg = 9000.0", "mass_tli_kg = 20000.0", text)
    text = edit('bucket = "month"', 'bucket = "fortnight"', text)
    text = edit('id = "AGENCY-B"', 'id = "AGENCY-A"', text)  # duplicate partner id
    problems = problems_of(text)
    messages = " | ".join(p.message for p in problems)
    assert "depends on unknown element 'NOPE'" in messages
    assert "no launcher can carry it" in messages
    assert "expected one of 'week'" in messages
    assert "duplicate id 'AGENCY-A'" in messages
    # sorted by line, each with a line
    lines = [p.line for p in problems]
    assert all(line is not None for line in lines) and lines == sorted(lines)


def test_dates_out_of_order_and_flown_without_date():
    text = edit("latest_launch = 2034-12-31", "latest_launch = 2030-01-01")
    problem = only(problems_of(text), "before earliest_launch")
    assert (
        problem.message
        == "element 'LAB-1' has latest_launch 2030-01-01 before earliest_launch 2030-06-01"
    )
    text = edit(
        'source = "template"\n\n[[elements]]',
        'source = "template"\nstate = "flown"\n\n[[elements]]',
    )
    problem = only(problems_of(text), "has no launched_on date")
    assert problem.field == "elements[0].state"


def test_unknown_basic_model_and_partner_references():
    text = edit('basic_model = ["POWER-1", "LAB-1"]', 'basic_model = ["POWER-1", "LAB-2"]')
    text = edit('partner = "AGENCY-B"\nrole', 'partner = "AGENCY-C"\nrole', text)
    problems = problems_of(text)
    basic = only(problems, "basic model lists unknown element")
    assert basic.field == "policies.basic_model[1]"
    assert basic.line == line_containing(text, "basic_model = [")
    partner = only(problems, "unknown partner")
    assert partner.message == "'LAB-1' belongs to unknown partner 'AGENCY-C'"


def test_python_built_scenario_is_checked_too():
    scenario = loads_scenario(TEMPLATE)
    broken = scenario.model_copy(
        update={
            "elements": [
                scenario.elements[0],
                scenario.elements[1].model_copy(update={"requires": ["GHOST"]}),
            ]
        }
    )
    (problem,) = validate_scenario(broken)
    assert problem.line is None and problem.file is None
    assert problem.one_line().startswith("elements[1].requires[0]: 'LAB-1' depends on unknown")


def validate_scenario_text(text: str):
    try:
        loads_scenario(text)
    except ScenarioError as error:
        return error.problems
    return []


# -- fuzz: any mangled file gives problems with lines, never a crash -------------------------------

JUNK = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.booleans(),
    st.dates(date(1900, 1, 1), date(2100, 1, 1)),
    st.lists(st.integers(0, 9), max_size=3),
    st.fixed_dictionaries({"x": st.integers(0, 9)}),  # fresh objects: the test mutates them
    st.lists(st.fixed_dictionaries({"id": st.integers(0, 9)}), min_size=1, max_size=2),
)


def _containers(data, path=()):
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _containers(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _containers(value, path + (index,))


def _mutate(data, path, action, junk):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[key]
    elif action == "extra" and isinstance(parent[key], dict):
        parent[key]["unknown_key"] = junk
    else:
        parent[key] = junk


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_mangled_scenarios_report_problems_never_crash(data):
    document = tomllib.loads(TEMPLATE)
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _containers(document) if p]
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["delete", "replace", "extra"]))
        _mutate(document, path, action, data.draw(JUNK))
    out: list[str] = []
    _emit_table(document, (), out)
    text = "\n".join(out) + "\n"
    n_lines = text.count("\n") + 1
    try:
        loads_scenario(text, file="fuzz.toml")
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message and problem.field
            assert problem.line is None or 1 <= problem.line <= n_lines


def test_depending_on_a_failed_element():
    text = edit(
        'source = "template"\n\n[[elements]]',
        'source = "template"\nstate = "failed"\nlaunched_on = 2030-02-01\n\n[[elements]]',
    )
    text = edit("requires = []  # element ids", 'requires = ["POWER-1"]  # element ids', text)
    problems = problems_of(text)
    problem = only(problems, "depends on element")
    assert problem.message == "'LAB-1' depends on element 'POWER-1', which failed"
    assert problem.line == line_containing(text, 'requires = ["POWER-1"]')
    assert only(problems, "basic model lists element").field == "policies.basic_model[0]"
    # and the capabilities it provided are gone: LAB-1's needs are unmet
    assert only(problems, "needs 'power'").field == "elements[1].needs[0]"


def test_windows_line_endings_keep_line_numbers():
    text = edit("requires = []  # element ids", 'requires = ["X"]  # element ids')
    problem = only(problems_of(text.replace("\n", "\r\n")), "unknown element 'X'")
    assert problem.line == line_containing(text, 'requires = ["X"]')
