"""Archive access rules: no partner sees another's embargoed product; embargoes lift on time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from moonbase.errors import DataError, InputError
from moonbase.science.archive import AccessDenied, DataArchive, DataProduct, Pds4Label


def _product(pid, owner, stop="2032-03-01T12:00:00Z", embargo_days=180.0, category="basic_science"):
    return DataProduct(
        product_id=pid,
        request_id=pid.split(".")[0],
        owner=owner,
        embargo_days=embargo_days,
        label=Pds4Label(
            logical_identifier=f"urn:ilrs:moonbase:surface:{pid.lower()}",
            title=pid,
            observing_system=pid,
            start_date_time="2032-02-01T00:00:00Z",
            stop_date_time=stop,
            discipline_name=category,
        ),
    )


@pytest.fixture
def archive(tmp_path):
    archive = DataArchive.create(tmp_path / "archive.json", ["CNSA", "ROSCOSMOS", "PAK"])
    archive.register(
        [
            _product("seis.run0", "CNSA"),
            _product("vlf.run0", "ROSCOSMOS", embargo_days=0.0, category="lunar_based_observation"),
            _product("ice.run0", "PAK", embargo_days=365.0),
        ]
    )
    return archive


def test_owner_always_sees_own_products(archive):
    ids = [p.product_id for p in archive.query("CNSA", "2032-03-01T12:00:00Z")]
    assert "seis.run0" in ids


def test_embargoed_products_of_others_are_invisible(archive):
    for partner in ("ROSCOSMOS", "PAK"):
        ids = [p.product_id for p in archive.query(partner, "2032-06-01")]
        assert "seis.run0" not in ids
        with pytest.raises(AccessDenied):
            archive.get("seis.run0", partner, "2032-06-01")


def test_embargo_lifts_exactly_on_time(archive):
    # stop 2032-03-01T12:00Z + 180 days = 2032-08-28T12:00Z (2032 is a leap year: Mar 31,
    # Apr 30, May 31, Jun 30, Jul 31 = 153 days to Aug 1, +27 = Aug 28).
    release = datetime(2032, 8, 28, 12, 0, tzinfo=UTC)
    product = archive.get("seis.run0", "CNSA", "2032-03-01")
    assert product.release_utc == release
    before = release - timedelta(seconds=1)
    assert "seis.run0" not in [p.product_id for p in archive.query("PAK", before)]
    assert "seis.run0" in [p.product_id for p in archive.query("PAK", release)]
    assert archive.get("seis.run0", "PAK", release).owner == "CNSA"


def test_zero_embargo_opens_at_end_of_acquisition(archive):
    assert archive.query("PAK", "2032-03-01T11:59:59Z", owner="ROSCOSMOS") == []
    assert len(archive.query("PAK", "2032-03-01T12:00:00Z", owner="ROSCOSMOS")) == 1


def test_unknown_id_and_embargoed_id_answer_alike(archive):
    with pytest.raises(AccessDenied) as unknown:
        archive.get("nothing.run0", "PAK", "2032-06-01")
    with pytest.raises(AccessDenied) as hidden:
        archive.get("seis.run0", "PAK", "2032-06-01")
    assert str(unknown.value).replace("nothing.run0", "X") == str(hidden.value).replace(
        "seis.run0", "X"
    )


def test_only_partners_may_query_and_own(archive):
    with pytest.raises(InputError, match="not a partner"):
        archive.query("NASA", "2040-01-01")
    with pytest.raises(InputError, match="not a partner"):
        archive.register(_product("x.run0", "NASA"))
    with pytest.raises(InputError, match="already archived"):
        archive.register(_product("seis.run0", "CNSA"))


def test_saved_atomically_and_reopened(archive, tmp_path):
    again = DataArchive.open(archive.path)
    assert len(again) == 3
    assert [p.product_id for p in again.query("PAK", "2040-01-01")] == [
        "ice.run0",
        "seis.run0",
        "vlf.run0",
    ]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["archive.json"]  # no temporaries
    data = json.loads(archive.path.read_text())
    data["products"][0]["owner"] = 7
    archive.path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="corrupt"):
        DataArchive.open(archive.path)
