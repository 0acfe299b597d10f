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
def spice(shared_data):
    """spiceypy with DE421 (from skyfield-data) and the NAIF lunar kernels of ``../shared``.

    The kernels are loaded once per test session and unloaded afterwards.
    """
    spiceypy = pytest.importorskip("spiceypy")
    from moonbase.datastore import locate

    kernels = [
        locate("de421.bsp"),
        shared_data / "spice" / "moon_pa_de421_1900-2050.bpc",
        shared_data / "spice" / "moon_080317.tf",
        shared_data / "spice" / "pck00010.tpc",
    ]
    for kernel in kernels:
        if not Path(kernel).is_file():
            pytest.skip(f"SPICE kernel {kernel} is absent")
        spiceypy.furnsh(str(kernel))
    yield spiceypy
    spiceypy.kclear()
