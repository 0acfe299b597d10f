"""Shared fixtures: the project's real-data folder ``../shared/data`` and SPICE with DE421.

Tests that need ``../shared/data`` use the ``shared_data`` fixture, which skips with the reason
when the folder is absent (the product never reads it; it is for validation only).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data`` (LOLA DEM crops, NAIF kernels); skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"validation data folder {SHARED_DATA} is absent (it sits beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def spice():
    """spiceypy (CSPICE) with DE421 and the NAIF DE421 lunar orientation kernels loaded.

    Uses the copies in ``../shared/data/spice`` when present, else the copies shipped in the
    ``lunarsky`` wheel; the lunar radius (``BODY301_RADII``, 1737.4 km as in ``pck00010.tpc``) is
    set directly. Loaded once per test session and unloaded afterwards.
    """
    spiceypy = pytest.importorskip("spiceypy")
    from moonbase.datastore import locate

    spice_dir = SHARED_DATA / "spice"
    if (spice_dir / "moon_pa_de421_1900-2050.bpc").is_file():
        orientation = [spice_dir / "moon_pa_de421_1900-2050.bpc", spice_dir / "moon_080317.tf"]
    else:
        orientation = [locate("moon_pa_de421_1900-2050.bpc"), locate("moon_080317.tf")]
    for kernel in [locate("de421.bsp"), *orientation]:
        spiceypy.furnsh(str(kernel))
    spiceypy.pdpool("BODY301_RADII", [1737.4, 1737.4, 1737.4])
    yield spiceypy
    spiceypy.kclear()
