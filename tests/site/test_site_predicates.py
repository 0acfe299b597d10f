"""One predicate per word (moonbase.site.predicates), checked against the event finder."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.constants import DAY_S, J2000_JD
from moonbase.ephemeris import elevation_crossings, horizontal, sun_angular_radius_deg
from moonbase.ephemeris.topocentric import surface_point_km, topocentric_vectors
from moonbase.errors import InputError
from moonbase.site.predicates import (
    earth_in_view,
    horizon_at,
    in_view,
    is_sunlit,
    open_at,
    sun_view,
    sunlit,
)
from moonbase.site.series import site_time_series
from moonbase.time import parse_utc, tdb_seconds, time_range, timescale
from moonbase.windows import find_windows

SECOND = 1.0
EQUATOR = (0.0, 0.0)
RIDGE = (-89.45, 222.69)


def test_shapes_scalar_and_array():
    t = time_range("2030-01-01", "2030-01-02", "6h")
    assert sunlit(*RIDGE)(t).shape == (5,)
    assert sunlit(*RIDGE)(t[0]).shape == ()
    assert earth_in_view(*RIDGE)(t).dtype == bool
    assert sunlit(*RIDGE).step_days == pytest.approx(1 / 24)


def test_sunlit_is_any_part_of_the_disk():
    assert is_sunlit([0.0, 1e-9, 0.5, 1.0]).tolist() == [False, True, True, True]
    assert open_at([0.0, 0.3, 1.0]).tolist() == [False, True, True]


def test_flat_sunlit_agrees_with_elevation_crossings():
    """Sunlit on a flat horizon is the Sun's upper limb above 0 deg, i.e. its centre above
    -radius: each edge found by the generic search matches elevation_crossings (bisected to
    1 ms) at that threshold to within the search's 1 s tolerance."""
    start, stop = parse_utc("2030-01-01"), parse_utc("2030-03-01")
    w = find_windows(sunlit(*EQUATOR), start, stop)
    t0, t1 = float(tdb_seconds(start)), float(tdb_seconds(stop))
    edges = np.concatenate([w.start, w.stop])
    edges = np.sort(edges[(edges > t0 + 1) & (edges < t1 - 1)])  # not the span's ends
    assert len(edges) == 4

    def at(seconds):
        return timescale().tdb_jd(J2000_JD, seconds / DAY_S)

    for edge in edges:
        distance = horizontal(at(edge), "sun", *EQUATOR).distance_km
        radius = float(sun_angular_radius_deg(distance))
        c = elevation_crossings(
            at(edge - 7200.0),
            at(edge + 7200.0),
            "sun",
            *EQUATOR,
            elevation_deg=-radius,
            step_days=0.02,
        )
        assert len(c) == 1
        assert float(tdb_seconds(c.times[0])) == pytest.approx(edge, abs=2 * SECOND)


def test_site_series_uses_the_predicates():
    t = time_range("2030-01-01", "2030-01-20", "3h")
    horizon = 1.0 + 0.8 * np.sin(np.radians(np.arange(360.0) * 2))
    series = site_time_series(horizon, *RIDGE, 5.0, t)
    assert np.array_equal(series["lit"].to_numpy(), sunlit(*RIDGE, 5.0, horizon)(t))
    assert np.array_equal(
        series["earth_visible"].to_numpy(), earth_in_view(*RIDGE, 5.0, horizon)(t)
    )
    view = sun_view(t, *RIDGE, 5.0, horizon)
    assert np.allclose(series["sun_disk_fraction"].to_numpy(), view.disk_fraction)


def test_in_view_of_a_position_function_matches_the_earth():
    """A target given as a MOON_ME position function (a relay's interface) behaves as the
    built-in Earth."""
    site = (*RIDGE, 0.0)

    def earth_me_km(t):
        return (
            topocentric_vectors(t, "earth", *site)
            + surface_point_km(*site)[(...,) + (None,) * np.ndim(tdb_seconds(t))]
        )

    t = time_range("2030-01-01", "2030-02-01", "2h")
    relay = in_view(earth_me_km, *site)
    assert np.array_equal(relay(t), earth_in_view(*site)(t))
    assert relay.step_days > 0


def test_horizon_forms_and_refusals():
    h, slope = horizon_at(None, [10.0, 200.0])
    assert h.tolist() == [0.0, 0.0] and slope.tolist() == [0.0, 0.0]
    assert horizon_at(-0.5, [10.0])[0].tolist() == [-0.5]
    with pytest.raises(InputError):
        sunlit(*RIDGE, horizon_deg=np.zeros((3, 360)))
    with pytest.raises(InputError):
        in_view(42, *RIDGE)
