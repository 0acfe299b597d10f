"""Regenerate the portal screenshots of the docs (``docs/tutorials/portal/*.png``).

Runs the browser test (``tests/server/test_server_browser.py``: a partner signs in, sees the
plan, submits a request the API refuses, fixes it, and sees it scheduled), which writes full-size
screenshots to ``out/test-artifacts/server/``, then shrinks each to 900 px wide and a 64-colour
palette for the docs. Needs the test extras and Debian's chromium (``make browser``).

    .venv/bin/python scripts/portal_screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "test-artifacts" / "server"
DOCS = ROOT / "docs" / "tutorials" / "portal"
NAMES = ("1-plan", "2-validation", "3-validated", "4-scheduled")
WIDTH_PX = 900
COLOURS = 64


def shrink(source: Path, target: Path) -> None:
    """Write ``source`` at :data:`WIDTH_PX` wide with a :data:`COLOURS`-colour palette."""
    with Image.open(source) as image:
        image = image.convert("RGB")
        height = round(image.height * WIDTH_PX / image.width)
        small = image.resize((WIDTH_PX, height), Image.Resampling.LANCZOS)
        small.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def main() -> int:
    test = "tests/server/test_server_browser.py"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:randomly"], cwd=ROOT
    )
    if run.returncode != 0:
        return run.returncode
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        shrink(SHOTS / f"{name}.png", DOCS / f"{name}.png")
        print(DOCS / f"{name}.png", (DOCS / f"{name}.png").stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
