"""docs/summary.md documents every key of ``summary.json`` (``moonbase.spine.SUMMARY_KEYS``)."""

from __future__ import annotations

import re
from pathlib import Path

from moonbase.spine import ORBIT_KEYS, SUMMARY_KEYS

ALL_KEYS = {**SUMMARY_KEYS, "orbit": ORBIT_KEYS}

PAGE = Path(__file__).resolve().parents[1] / "docs" / "summary.md"


def _documented() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    current = "top"
    for line in PAGE.read_text().splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if heading:
            current = heading.group(1)
        elif line.startswith("| `"):
            cell = line.split("|")[1]
            names = {n.split(".")[0] for n in re.findall(r"`([\w.<>]+)`", cell)}
            sections.setdefault(current, set()).update(names)
    return sections


def test_every_summary_key_is_documented():
    documented = _documented()
    for part, keys in ALL_KEYS.items():
        missing = set(keys) - documented.get(part, set())
        assert not missing, f"docs/summary.md lacks {part}: {sorted(missing)}"
    assert set(ALL_KEYS) <= documented["top"]


def test_no_documented_key_is_stale():
    documented = _documented()
    for part, keys in ALL_KEYS.items():
        stale = documented.get(part, set()) - set(keys)
        assert not stale, f"docs/summary.md documents keys that are gone from {part}: {stale}"
