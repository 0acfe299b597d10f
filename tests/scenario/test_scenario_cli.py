"""``moonbase scenario show/validate/new``: exit codes, tables, problem lists, overwrite rules."""

from __future__ import annotations

from moonbase.cli.app import main
from moonbase.scenario import builtin_path, load_scenario
from moonbase.scenario.toml_io import template_path


def test_show_builtin_prints_tables(capsys):
    assert main(["scenario", "show", "--builtin", "ilrs-reference"]) == 0
    out = capsys.readouterr().out
    for text in ("ILRS reference", "Partners", "Launchers", "Elements", "ROSCOSMOS", "ILRS-5"):
        assert text in out
    assert "8,200" in out and "50,000" in out  # LM-5 and LM-9 TLI capacities


def test_show_file(tmp_path, capsys):
    path = tmp_path / "t.toml"
    path.write_text(template_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["scenario", "show", str(path)]) == 0
    assert "My station" in capsys.readouterr().out


def test_validate_valid_file(capsys):
    assert main(["scenario", "validate", str(builtin_path("ilrs-reference"))]) == 0
    assert "valid (17 partners, 5 launchers, 21 elements" in capsys.readouterr().out.replace(
        "\n", " "
    )


def test_validate_lists_every_problem_one_per_line(tmp_path, capsys):
    text = template_path().read_text(encoding="utf-8")
    text = text.replace("requires = []  # element ids", 'requires = ["ILRS-9"]  # element ids')
    text = text.replace("mass_tli_kg = 9000.0", "mass_tli_kg = 9100.0")
    text = text.replace("capacity_tli_kg = 10000.0", "capacity_tli_kg = 8200.0")
    text = text.replace('bucket = "month"', "bucket = 3")
    path = tmp_path / "ilrs.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["scenario", "validate", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    # 4: also LAB-1, 3,000 kg landed / 0.35 = 8,571 kg > 8,200 kg
    assert lines[-1] == f"{path}: 4 problems"
    assert all(line.startswith("ilrs.toml:") for line in lines[:-1])
    assert any("depends on unknown element 'ILRS-9'" in line for line in lines)
    assert any(
        "launcher HEAVY-1 capacity 8,200 kg < element POWER-1 mass 9,100 kg at TLI" in line
        for line in lines
    )
    assert "Traceback" not in captured.err + captured.out


def test_show_invalid_file_lists_problems(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n[campaign]\nstart = 2030-01-01\nend = 2031-01-01\n', "utf-8")
    assert main(["scenario", "show", str(path)]) == 2
    assert "missing required key 'partners'" in capsys.readouterr().err


def test_missing_file_and_bad_builtin_are_one_line_errors(tmp_path, capsys):
    assert main(["scenario", "validate", str(tmp_path / "none.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("moonbase: error: scenario: scenario file") and "does not exist" in err
    assert main(["scenario", "show", "--builtin", "iss"]) == 2
    assert "choose one of: ilrs-reference" in capsys.readouterr().err


def test_new_writes_reference_copy_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    assert main(["scenario", "new", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == builtin_path("ilrs-reference").read_text("utf-8")
    assert load_scenario(path).name == "ILRS reference"
    capsys.readouterr()
    assert main(["scenario", "new", str(path), "--minimal"]) == 2
    assert "already exists (choose another path or pass --force)" in capsys.readouterr().err
    assert load_scenario(path).name == "ILRS reference"  # untouched
    assert main(["scenario", "new", str(path), "--minimal", "--force"]) == 0
    assert load_scenario(path).name == "My station"
    assert "#" in path.read_text(encoding="utf-8")  # the template is commented


def test_path_and_builtin_together_is_refused(capsys):
    assert main(["scenario", "show", "x.toml", "--builtin", "ilrs-reference"]) == 2
    assert "give a PATH or --builtin, not both" in capsys.readouterr().err
