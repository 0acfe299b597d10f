"""Time parsing and ranges: UTC in, leap seconds honoured, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.errors import InputError
from moonbase.time import parse_step, parse_utc, tdb_seconds, time_range, timescale


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("30min", 1800), ("10 s", 10), ("0.5d", 43200), ("2 days", 172800), (60, 60)],
)
def test_parse_step(text, seconds):
    assert parse_step(text) == seconds


@pytest.mark.parametrize("text", ["5q", "-1h", "0s", "", "h"])
def test_parse_step_errors(text):
    with pytest.raises(InputError, match="step"):
        parse_step(text)


def test_parse_utc_forms_agree():
    a = parse_utc("2030-01-01T06:30")
    b = parse_utc("2030-01-01 06:30:00Z")
    assert a.tt == b.tt
    assert a.utc_iso() == "2030-01-01T06:30:00Z"


@pytest.mark.parametrize("text", ["01/02/2030", "2030-13-01", "tomorrow", "2030-01-01T06:00+02:00"])
def test_parse_utc_errors_name_the_field(text):
    with pytest.raises(InputError) as info:
        parse_utc(text, field="--start")
    assert info.value.field == "--start"


def test_time_range_is_inclusive_and_uniform():
    t = time_range("2030-01-01", "2030-01-02", "1h")
    assert len(t) == 25
    assert np.allclose(np.diff(t.tt) * 86400.0, 3600.0, atol=1e-6)


def test_time_range_is_uniform_in_elapsed_time_across_a_leap_second():
    t = time_range("2016-12-31T23:00", "2017-01-01T01:00", "1h")
    # 2016-12-31T23:59:60 was a leap second (IERS Bulletin C 52): steps stay 3600 SI seconds,
    # so the UTC labels after it fall one second early.
    assert np.allclose(np.diff(t.tt) * 86400.0, 3600.0, atol=1e-4)
    assert t.utc_iso() == ["2016-12-31T23:00:00Z", "2016-12-31T23:59:60Z", "2017-01-01T00:59:59Z"]


def test_time_range_rejects_stop_before_start():
    with pytest.raises(InputError, match="not after start"):
        time_range("2031-01-01", "2030-01-01", "1h")


def test_tdb_seconds_at_j2000():
    t = timescale().tdb_jd(2451545.0)
    assert tdb_seconds(t) == 0.0


def test_one_utc_parser_for_times_and_datetimes():
    from datetime import UTC, datetime, timedelta, timezone

    from moonbase.science.archive import parse_utc_datetime as archive_parse
    from moonbase.time import parse_utc_datetime

    moment = parse_utc_datetime("2031-05-01T12:00:00Z")
    assert moment == datetime(2031, 5, 1, 12, tzinfo=UTC)
    assert parse_utc("2031-05-01T12:00:00Z").utc_datetime() == moment
    assert parse_utc_datetime(datetime(2031, 5, 1, 12)) == moment  # naive is UTC
    assert parse_utc_datetime(parse_utc("2031-05-01T12:00")) == moment
    with pytest.raises(InputError, match="non-UTC offset"):
        parse_utc_datetime("2031-05-01T14:00+02:00")
    plus_two = datetime(2031, 5, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    assert parse_utc_datetime(plus_two, allow_offset=True) == moment
    assert archive_parse("2031-05-01T14:00+02:00") == moment  # the archive converts offsets
    with pytest.raises(InputError, match="ISO 8601"):
        archive_parse("tomorrow")
