"""Study files and variant changes, without planning: errors, removals, what-if rules by hand."""

from __future__ import annotations

import time
from datetime import date

import pytest

from moonbase.cli.app import main
from moonbase.errors import InputError
from moonbase.scenario import load_scenario
from moonbase.science.shares import entitlements_from_scenario
from moonbase.study import (
    ChangeError,
    Joining,
    Variant,
    Withdrawal,
    apply_variant,
    example_path,
    load_study,
)

from .conftest import TINY


def _line(path, needle: str) -> int:
    """The 1-based line of ``path`` where ``needle`` first occurs."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def test_unknown_variant_key_fails_that_variant_only(write_study_file):
    path = write_study_file(
        '[[variants]]\nname = "ok"\n\n'
        '[[variants]]\nname = "typo"\nsite = { latitud_deg = -89.5 }\n\n'
        '[[variants]]\nname = "typo-top"\npower = 5\n'
    )
    study = load_study(path)
    ok, typo, top = study.variants
    assert ok.scenario is not None and ok.failure is None
    assert typo.scenario is None and top.scenario is None
    # one line naming the file (and line), the variant and the field, with the fix
    assert typo.failure.count("\n") == 0
    line = _line(path, "latitud_deg")
    assert typo.failure.startswith(
        f"study.toml:{line}: variant 'typo': variants[1].site.latitud_deg: unknown key"
    )
    assert "did you mean 'latitude_deg'?" in typo.failure
    line = _line(path, "power = 5")
    assert top.failure.startswith(f"study.toml:{line}: variant 'typo-top': variants[2].power:")


def test_a_variant_that_breaks_the_scenario_fails_with_the_validation_message(
    write_study_file,
):
    path = write_study_file(
        '[[variants]]\nname = "south-of-the-pole"\nsite = { latitude_deg = -95.0 }\n\n'
        '[[variants]]\nname = "no-comms"\ndrop_elements = ["POWER-1"]\n\n'
        '[[variants]]\nname = "fine"\nelements = { REACTOR-1 = { power_produced_w = 8000.0 } }\n'
    )
    south, no_comms, fine = load_study(path).variants
    assert "variant 'south-of-the-pole': scenario site.latitude_deg:" in south.failure
    assert "-95.0" in south.failure
    # dropping the only comms provider leaves the lab needing comms that nothing provides
    assert "variant 'no-comms': scenario elements[" in no_comms.failure
    assert "comms" in no_comms.failure
    assert fine.scenario.element("REACTOR-1").power_produced_w == 8000.0
    assert fine.notes == ("changed element REACTOR-1: power_produced_w = 8000.0",)


def test_top_level_mistakes_are_one_line_errors_naming_the_file(write_study_file, tmp_path):
    path = write_study_file('[[variants]]\nname = "a"\n\n[optoins]\nrisk_runs = 5\n')
    with pytest.raises(InputError) as raised:
        load_study(path)
    text = str(raised.value)
    line = _line(path, "[optoins]")
    assert text.startswith(f"study.toml:{line}: optoins: unknown key 'optoins'")
    assert "\n" not in text
    assert "did you mean 'options'?" in text
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "x"\nbase = "no-such-scenario"\nas_of = 2030-01-01\n[[variants]]\nname="a"\n'
    )
    with pytest.raises(InputError, match="neither a built-in scenario nor a scenario file"):
        load_study(bad)


def test_duplicate_names_and_unknown_ids_are_named(write_study_file):
    path = write_study_file(
        '[[variants]]\nname = "a"\n\n[[variants]]\nname = "a"\n\n'
        '[[variants]]\nname = "c"\ndrop_elements = ["REACTOR-2"]\n'
    )
    first, again, unknown = load_study(path).variants
    assert first.scenario is not None
    assert "a variant named 'a' comes earlier" in again.failure
    assert "variants[2].drop_elements: no element 'REACTOR-2'" in unknown.failure
    assert "did you mean 'REACTOR-1'?" in unknown.failure


def test_withdrawal_keeps_what_flew_before_the_date_and_shifts_entitlements(tiny):
    # C flew an orbiter before it withdraws (it stays) and another after (it vanishes, as does
    # everything C had still to fly); its launcher is not available from the date.
    flown = {
        "partner": "C",
        "role": "relay",
        "location": "orbit",
        "mass_tli_kg": 2000.0,
        "state": "flown",
        "provenance": "notional",
        "source": "test",
    }
    with_history = apply_variant(
        tiny,
        Variant(
            name="history",
            add_elements=[
                {**flown, "id": "C-ORB-1", "name": "First", "launched_on": date(2029, 6, 1)},
                {**flown, "id": "C-ORB-2", "name": "Second", "launched_on": date(2029, 12, 1)},
            ],
        ),
    )[0]
    changed, notes = apply_variant(
        with_history,
        Variant(
            name="c-leaves",
            withdraw=Withdrawal(partner="C", from_date=date(2029, 9, 1)),
        ),
    )
    ids = {e.id for e in changed.elements}
    assert "C-ORB-1" in ids and "C-ORB-2" not in ids and "REACTOR-1" not in ids
    assert changed.launcher("MEDIUM-C").last_available == date(2029, 8, 31)
    assert [x.id for x in changed.experiments if x.partner == "C"] == []
    assert "C" in {p.id for p in changed.partners}
    assert changed.partner("C").contributions == []
    # by hand: C's 100 M$ reactor contribution goes with the reactor; A 300 and B 100 of 400
    shares = entitlements_from_scenario(changed)
    assert shares == pytest.approx({"A": 300 / 400, "B": 100 / 400, "C": 0.0})
    assert "C withdraws from 2029-09-01" in notes


def test_joining_with_money_takes_its_value_over_the_new_total(tiny):
    # by hand: D joins with V = 250 M$; the total was 500 M$, so D gets 250 / 750 = 1/3 and
    # each founding partner keeps its value over 750 (A 300 -> 40 %).
    joining = Joining(
        partner={
            "id": "D",
            "name": "Country D",
            "agency": "Agency D",
            "contributions": [
                {"level": "funding", "description": "Operations money", "value_musd": 250.0},
                {"level": "ground", "description": "A ground station", "value_musd": 0.0},
            ],
        }
    )
    changed, notes = apply_variant(tiny, Variant(name="d-joins", join=joining))
    shares = entitlements_from_scenario(changed)
    assert shares["D"] == pytest.approx(250.0 / 750.0)
    assert shares["A"] == pytest.approx(300.0 / 750.0)
    assert notes == (
        "D joins with 0 elements, 0 launchers, 0 experiments, 250 M$ of contributions",
    )
    with pytest.raises(ChangeError, match="already in the base scenario"):
        apply_variant(changed, Variant(name="again", join=joining))


def test_dropping_a_partner_takes_its_elements_launchers_and_experiments(tiny):
    changed, notes = apply_variant(tiny, Variant(name="no-c", drop_partners=["C"]))
    assert {p.id for p in changed.partners} == {"A", "B"}
    assert "REACTOR-1" not in {e.id for e in changed.elements}
    assert {x.id for x in changed.launchers} == {"HEAVY-1"}
    assert "C-NIGHT-SKY" not in {x.id for x in changed.experiments}
    assert notes[0] == "dropped partners: C"


def test_a_launcher_that_was_an_elements_only_ride_cannot_silently_go(tiny):
    only_c = apply_variant(
        tiny,
        Variant(name="ride", elements={"REACTOR-1": {"allowed_launchers": ["MEDIUM-C"]}}),
    )[0]
    with pytest.raises(ChangeError) as raised:
        apply_variant(only_c, Variant(name="no-medium", drop_launchers=["MEDIUM-C"]))
    problem = raised.value.problems[0]
    assert problem.path == ("drop_launchers",) and "REACTOR-1" in problem.message


def test_station_keys_and_item_ids(tiny):
    with pytest.raises(ChangeError) as raised:
        apply_variant(tiny, Variant(name="orbit", station="orbit"))
    assert raised.value.problems[0].path == ("station",)
    assert "needs an orbit node" in raised.value.problems[0].message
    with pytest.raises(ChangeError) as raised:
        apply_variant(tiny, Variant(name="rename", elements={"LAB-1": {"id": "LAB-2"}}))
    assert "cannot change" in raised.value.problems[0].message
    surface, _ = apply_variant(tiny, Variant(name="surface", station="surface"))
    assert surface == tiny  # no orbit and no node elements to drop


def test_the_example_study_loads_with_its_four_variants():
    study = load_study(example_path())
    names = [v.name for v in study.variants]
    assert names == ["connecting-ridge", "shackleton-rim", "orbit-node", "surface-and-node"]
    ridge, rim, node, both = study.variants
    assert ridge.scenario is not None and rim.scenario.site.name == "Shackleton rim"
    assert node.scenario.site is None and node.scenario.orbit.family == "nrho"
    assert both.scenario.site == ridge.scenario.site and both.scenario.orbit.family == "nrho"
    assert {e.id for e in both.scenario.elements if e.location == "node"} == {
        "NODE-POWER",
        "NODE-LAB",
    }


def test_cli_unreachable_scheduler_is_one_line_and_quick(write_study_file, monkeypatch, capsys):
    import moonbase.study.run as run

    monkeypatch.setattr(run, "CONNECT_TIMEOUT_S", 1.0)
    path = write_study_file('[[variants]]\nname = "a"\n')
    out = path.parent / "out"
    began = time.perf_counter()
    code = main(
        ["study", str(path), "--scheduler", "tcp://127.0.0.1:9", "--out", str(out), "--no-cache"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("moonbase: error: --scheduler: cannot reach a Dask scheduler")
    assert time.perf_counter() - began < 30
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--what-if", "leave:C", "--as-of", "2030-01-01"], "--what-if"),
        (["--what-if", "withdraw:C@tomorrow", "--as-of", "2030-01-01"], "--what-if"),
        ([], "study"),
        (["--what-if", "withdraw:C"], "--as-of"),
        (["--x", "happiness", "--what-if", "withdraw:C", "--as-of", "2030-01-01"], "--x"),
    ],
)
def test_cli_argument_mistakes_are_one_line(args, field, capsys, tmp_path):
    code = main(["study", "--base", str(TINY), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"moonbase: error: {field}:"), err


def test_the_pareto_figures_a_study_file_may_name_are_the_comparisons():
    from moonbase.study.figures import FIGURES
    from moonbase.study.models import FIGURE_NAMES, Pareto

    assert set(FIGURE_NAMES) == set(FIGURES)
    assert set(Pareto.model_fields["x"].annotation.__args__) == set(FIGURES)


def test_what_if_mistakes_name_the_what_if(write_study_file, tmp_path, capsys):
    path = write_study_file(
        '[what_if]\n[[what_if.withdraw]]\npartner = "Z"\n\n'
        '[[what_if.join]]\n[what_if.join.partner]\nid = "D"\nname = "D"\nagency = "D"\n'
        'colour = "red"\n'
    )
    baseline, withdraw, join = load_study(path).variants
    assert baseline.name == "baseline" and baseline.scenario is not None
    line = _line(path, "partner = ")
    assert withdraw.failure.startswith(
        f"study.toml:{line}: variant 'withdraw-Z': what_if.withdraw[0].partner: no partner 'Z'"
    )
    line = _line(path, "colour")
    assert join.failure.startswith(
        f"study.toml:{line}: variant 'join-D': what_if.join[0].partner.colour: unknown key"
    )
    # the same partner in a file of its own, on the command line: an error before any planning
    joining = tmp_path / "join.toml"
    joining.write_text('[partner]\nid = "D"\nname = "D"\nagency = "D"\ncolour = "red"\n')
    code = main(
        ["study", "--base", str(TINY), "--what-if", f"join:{joining}", "--as-of", "2030-01-01"]
        + ["--out", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("moonbase: error: join.toml:5: partner.colour: unknown key 'colour'")
    assert not (tmp_path / "out").exists()
