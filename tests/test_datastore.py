"""The data loader: package files located and verified against pinned SHA-256."""

from __future__ import annotations

import dataclasses

import pytest

from moonbase import datastore
from moonbase.errors import DataError


def test_pinned_files_are_found_and_verified():
    for name in datastore.PINNED:
        assert datastore.locate(name).is_file()


def test_checksum_mismatch_is_refused(monkeypatch):
    datastore.locate.cache_clear()
    pinned = datastore.PINNED["moon_080317.tf"]
    tampered = dataclasses.replace(pinned, sha256="0" * 64)
    monkeypatch.setitem(datastore.PINNED, "moon_080317.tf", tampered)
    try:
        with pytest.raises(DataError, match=r"checksum mismatch.*reinstall 'lunarsky'"):
            datastore.locate("moon_080317.tf")
    finally:
        datastore.locate.cache_clear()


def test_unknown_file_lists_the_known_ones():
    with pytest.raises(DataError, match=r"de421\.bsp"):
        datastore.locate("de999.bsp")


def test_self_check_reports_versions_and_span():
    from moonbase.__main__ import report

    text = report()
    assert "ephemeris span: 1900-01-01 to 2051-01-01" in text
    assert "de421.bsp" in text
