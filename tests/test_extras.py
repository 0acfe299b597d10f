"""The install splits into extras: the stages need no web server or database driver.

Each check runs in a fresh interpreter where the ``server`` extra's modules are made
unimportable (``sys.modules[name] = None``, which makes ``import name`` fail as if it were not
installed), so a core module that imports one of them fails here.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from moonbase.extras import EXTRAS, MissingExtraError, require_extra

ROOT = Path(__file__).resolve().parents[1]


def _without(extra: str, code: str) -> subprocess.CompletedProcess:
    block = "".join(f"sys.modules[{m!r}] = None\n" for m in EXTRAS[extra])
    return subprocess.run(
        [sys.executable, "-c", f"import sys\n{block}{code}"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_stages_and_the_cli_import_without_the_server_extra():
    run = _without(
        "server",
        "import moonbase.spine, moonbase.pipeline, moonbase.report.plan, moonbase.cli.app\n"
        "from moonbase.terrain import reference_dem\n"
        "from moonbase.site import site_summary\n"
        "print(site_summary(-89.45, 222.69, '2030-01-01', '2030-01-02', '12h').n_epochs)\n",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "3"


def test_the_portal_without_the_server_extra_says_which_extra_in_one_line():
    for module in ("moonbase.server", "moonbase.store"):
        run = _without(
            "server",
            f"try:\n    import {module}\nexcept ImportError as e:\n"
            "    print(type(e).__name__, '|', e)\n",
        )
        assert run.returncode == 0, run.stderr
        line = run.stdout.strip()
        assert "\n" not in line
        assert line.startswith(f"MissingExtraError | {module} needs the 'server' extra")
        assert line.endswith("pip install 'moonbase[server]'")


def test_moonbase_serve_without_the_server_extra_exits_2_with_one_line():
    run = _without(
        "server",
        "from moonbase.cli.app import main\n"
        "sys.exit(main(['serve', '--create-token', 'CNSA', '--data-dir', 'unused']))\n",
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("moonbase: error: moonbase.store needs the 'server' extra")
    assert "Traceback" not in run.stderr


def test_require_extra_names_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    try:
        require_extra("docs", "make docs")
    except MissingExtraError as error:
        assert error.extra == "docs" and "myst_nb" in error.missing
        assert "pip install 'moonbase[docs]'" in str(error)
    else:  # pragma: no cover
        raise AssertionError("no error")


def test_the_extras_in_pyproject_match():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    for module in EXTRAS["server"] + EXTRAS["docs"]:
        assert module.replace("_", "-") not in core, f"{module} is a core dependency"
    extras = project["optional-dependencies"]
    for extra, modules in EXTRAS.items():
        listed = " ".join(extras[extra]).lower().replace("-", "_")
        for module in modules:
            assert module in listed, f"{module} is not in the {extra} extra"
    assert extras["all"] == ["moonbase[server,docs]"]
