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

__all__ = ["PINNED", "PinnedFile", "locate", "sha256_of"]


@dataclass(frozen=True)
class PinnedFile:
    """A data file inside an installed package, pinned by checksum."""

    name: str
    package: str
    path_in_package: str
    sha256: str
    description: str


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
        raise DataError(
            f"{name}: package {pinned.package!r} is not installed; run `pip install {pinned.package}`"
        ) from None
    if not path.is_file():
        raise DataError(
            f"{name}: not found at {path}; reinstall {pinned.package!r} "
            f"(`pip install --force-reinstall {pinned.package}`)"
        )
    actual = sha256_of(path)
    if actual != pinned.sha256:
        raise DataError(
            f"{name}: checksum mismatch at {path} (expected sha256 {pinned.sha256}, got {actual}); "
            f"the file is corrupt or a different version: reinstall {pinned.package!r}"
        )
    return path
