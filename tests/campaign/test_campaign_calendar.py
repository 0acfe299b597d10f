"""The planning grid and the landing-daylight calendar.

Outside reference for the calendar: by Cassini's laws the Moon's equator keeps a fixed 1.54 deg
to the ecliptic and precesses with the node, so lunar "seasons" (the Sun's latitude seen from
the Moon) repeat every eclipse year, 346.62 days. At the south-polar site (flat horizon) the
daylight fraction must therefore oscillate with that period and average about one half.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from moonbase.campaign import bucket_starts, landing_daylight_calendar
from moonbase.errors import InputError

ECLIPSE_YEAR_DAYS = 346.62


def test_bucket_starts_months_quarters_days():
    months = bucket_starts(date(2030, 11, 15), date(2031, 2, 1))
    assert months == [date(2030, 11, 1), date(2030, 12, 1), date(2031, 1, 1), date(2031, 2, 1)]
    quarters = bucket_starts(date(2030, 1, 1), date(2030, 12, 31), "quarter")
    assert quarters[-1] == date(2031, 1, 1) and len(quarters) == 5
    tens = bucket_starts(date(2030, 1, 1), date(2030, 1, 25), "10d")
    assert tens == [date(2030, 1, 1), date(2030, 1, 11), date(2030, 1, 21), date(2030, 1, 31)]
    with pytest.raises(InputError, match="unknown bucket"):
        bucket_starts(date(2030, 1, 1), date(2031, 1, 1), "fortnight")


def test_daylight_follows_the_eclipse_year_at_the_south_pole():
    starts = bucket_starts(date(2030, 1, 1), date(2042, 1, 1), "10d")
    fraction = landing_daylight_calendar(starts, -89.45, 222.69, step_h=12.0)
    assert fraction.shape == (len(starts) - 1,)
    assert 0.0 <= fraction.min() and fraction.max() <= 1.0
    assert 0.4 < fraction.mean() < 0.6  # half the time above a flat horizon
    assert fraction.min() == 0.0 and fraction.max() == 1.0  # whole dark and lit spells
    spectrum = np.abs(np.fft.rfft(fraction - fraction.mean(), 2**16))
    frequency = np.fft.rfftfreq(2**16, d=10.0)
    period = 1.0 / frequency[1 + np.argmax(spectrum[1:])]
    assert period == pytest.approx(ECLIPSE_YEAR_DAYS, abs=3.0)  # measured 346.75 d


def test_threshold_and_aggregation():
    """A higher Sun threshold can only shrink each bucket's fraction; equal-length buckets
    average to the fraction of one long bucket over the same span."""
    starts = bucket_starts(date(2031, 1, 1), date(2031, 3, 2), "10d")
    low = landing_daylight_calendar(starts, -89.45, 222.69)
    high = landing_daylight_calendar(starts, -89.45, 222.69, min_sun_elevation_deg=1.0)
    assert np.all(high <= low)
    whole = landing_daylight_calendar([starts[0], starts[-1]], -89.45, 222.69)
    assert whole[0] == pytest.approx(low.mean(), abs=1e-12)
