"""The getting-started page, followed literally on a clean clone, works.

Every ``$ `` line of the page's ``console`` blocks is run in order, in a fresh ``git clone`` of
this repository (its committed ``HEAD``; uncommitted changes are not in the clone), with
``bash``. One thing is prepared that the page does not say: the clone's ``.venv`` is created
first, with a ``.pth`` line that puts this environment's site-packages on its path, so that
``make run``'s ``pip install -e '.[all]'`` finds every dependency already installed and installs
only moonbase itself, from the clone, instead of downloading the dependencies again. Everything
else (the install, ``moonbase run`` on the ILRS reference as of today, the outputs the page
lists) is the page's own commands. ``make test`` is on the page without a ``$``: it is this
suite, so it is not run from inside it. The page's Python snippet makes the same plan as
``make run`` and is not run here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "getting-started.md"

pytestmark = pytest.mark.slow


def page_commands() -> list[str]:
    """The ``$ `` lines of the page's ``console`` blocks, in order."""
    blocks = re.findall(r"```console\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    return [
        line[2:].strip() for block in blocks for line in block.splitlines() if line.startswith("$ ")
    ]


def test_the_page_has_the_commands():
    commands = page_commands()
    assert commands[0] == "make run"
    assert "ls out" in commands
    assert any("summary.json" in c for c in commands)
    text = PAGE.read_text(encoding="utf-8")
    assert "```console\nmake test\n```" in text  # named, not run (see the module docstring)


def _seed_venv(clone: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True, timeout=300)
    python = clone / ".venv" / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_moonbase_test_reuse.pth").write_text("\n".join(sorted(ours)) + "\n")


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make"
)
def test_following_the_page_on_a_clean_clone(tmp_path):
    clone = tmp_path / "moonbase"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    _seed_venv(clone)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    outputs = {}
    for command in page_commands():
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, (
            f"{command!r} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        )
        outputs[command] = run.stdout
    listed = set(outputs["ls out"].split())
    for name in ("report.html", "summary.json", "site_ranking.csv", "systems_series.parquet"):
        assert name in listed
    summary = json.loads(outputs[next(c for c in outputs if "json.tool" in c)])
    assert summary["scenario"] == "ILRS reference"
    assert 0 < summary["site"]["lit_percent"] <= 100
    # moonbase ran from the clone, not from this checkout
    check = next(c for c in outputs if "-m moonbase" in c and "json" not in c)
    assert outputs[check].startswith("moonbase ")
    where = subprocess.run(
        [str(clone / ".venv/bin/python"), "-c", "import moonbase; print(moonbase.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(clone)), where
