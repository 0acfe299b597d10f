"""docs/nomenclature.md stays true: every name in its tables occurs in the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "nomenclature.md"
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py"))


def listed_names() -> list[str]:
    """The backticked name in the first column of every table row of the page."""
    names = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", line)
        if match:
            names.append(match.group(1))
    return names


def test_page_lists_the_boundary_quantities():
    names = listed_names()
    assert len(names) == len(set(names)), "a name is listed twice"
    for required in (
        "sunlit",
        "earth_in_view",
        "crew_time_h",
        "data_volume_gbit",
        "mass_tli_kg",
        "priority",
        "entitlement",
        "Windows",
    ):
        assert required in names


@pytest.mark.parametrize("name", listed_names())
def test_name_occurs_in_source(name):
    assert re.search(rf"\b{re.escape(name)}\b", SOURCE), f"{name} is not in src/"
