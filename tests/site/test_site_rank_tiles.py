"""Site ranking (against brute force and by construction) and Dask tiles (against the untiled run)."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.errors import InputError
from moonbase.site import visibility_statistics
from moonbase.site.rank import DARKNESS_SCALE_H, psr_distance_m, rank_sites, slope_deg
from moonbase.site.visibility import VisibilityStats
from moonbase.time import time_range


def _stats(lit, dark_h, earth, psr) -> VisibilityStats:
    lit = np.asarray(lit, dtype=float)
    return VisibilityStats(
        lit_percent=lit,
        effective_illumination_percent=lit * 0.9,
        earth_visible_percent=np.asarray(earth, dtype=float),
        lit_and_earth_percent=np.minimum(lit, earth),
        longest_dark_hours=np.asarray(dark_h, dtype=float),
        longest_dark_start=np.full(lit.shape, np.datetime64("NaT", "ms")),
        permanent_shadow=np.asarray(psr, dtype=bool),
        n_epochs=100,
        step_s=3600.0,
        start_utc="2030-01-01T00:00:00Z",
        stop_utc="2030-01-05T03:00:00Z",
    )


def _grid(n=20, pixel=100.0):
    y, x = np.mgrid[0:n, 0:n].astype(float)
    return x * pixel, -y * pixel


def test_psr_distance_matches_brute_force():
    x, y = _grid(15, 100.0)
    rng = np.random.default_rng(3)
    psr = rng.random(x.shape) < 0.05
    distance = psr_distance_m(psr, x, y)
    px, py = x[psr], y[psr]
    brute = np.min(np.hypot(x[..., None] - px, y[..., None] - py), axis=-1)
    np.testing.assert_allclose(distance, brute, atol=1e-9)
    assert np.all(np.isinf(psr_distance_m(np.zeros_like(psr), x, y)))


def test_slope_of_a_tilted_plane():
    # z = 0.1 * x on a 20 m grid: 5.71 deg everywhere (atan 0.1).
    x, _ = _grid(8, 20.0)
    np.testing.assert_allclose(slope_deg(0.1 * x, 20.0), np.degrees(np.arctan(0.1)), atol=1e-9)


def test_ranking_prefers_lit_earth_near_ice_and_keeps_sites_apart():
    x, y = _grid(20, 100.0)
    lit = np.full(x.shape, 50.0)
    lit[5, 5] = 95.0  # the obvious winner ...
    lit[5, 6] = 94.0  # ... and its neighbour, 100 m away: must be skipped at 500 m separation
    lit[15, 15] = 90.0
    dark = np.full(x.shape, DARKNESS_SCALE_H)
    dark[5, 5] = dark[5, 6] = dark[15, 15] = 50.0
    earth = np.full(x.shape, 40.0)
    psr = np.zeros(x.shape, bool)
    psr[0, 0] = True  # the PSR itself is never a candidate
    lit[0, 0] = 0.0
    stats = _stats(lit, dark, earth, psr)
    lat, lon = -89.5 + 0 * x, 0 * x
    table = rank_sites(
        stats,
        latitude_deg=lat,
        longitude_deg=lon,
        x_m=x,
        y_m=y,
        slope=np.zeros(x.shape),
        top_n=3,
        min_separation_m=500.0,
    )
    assert list(zip(table["row"], table["col"], strict=True))[:2] == [(5, 5), (15, 15)]
    gaps = np.hypot(
        *(np.subtract.outer(v, v) for v in (table["x_m"].to_numpy(), table["y_m"].to_numpy()))
    )
    assert gaps[~np.eye(len(table), dtype=bool)].min() >= 500.0
    # Score of the winner by hand: 0.35*0.95 + 0.20*(1-50/708.7) + 0.20*0.40 + 0.10*1
    #   + 0.15*(1 - d/20 km), d = hypot(500, 500) m = 0.7071 km.
    expected = 0.35 * 0.95 + 0.2 * (1 - 50 / DARKNESS_SCALE_H) + 0.2 * 0.4 + 0.1
    expected += 0.15 * (1 - np.hypot(500.0, 500.0) / 20_000.0)
    assert table["score"].iloc[0] == pytest.approx(expected, abs=1e-12)
    # Weights: all on Earth visibility, so the one cell with the Earth 99 % in view wins.
    earth2 = earth.copy()
    earth2[18, 2] = 99.0
    only_earth = rank_sites(
        _stats(lit, dark, earth2, psr),
        latitude_deg=lat,
        longitude_deg=lon,
        x_m=x,
        y_m=y,
        slope=np.zeros(x.shape),
        weights={"lit": 0, "darkness": 0, "slope": 0, "ice": 0, "earth": 1},
        top_n=1,
    )
    assert (only_earth["row"].iloc[0], only_earth["col"].iloc[0]) == (18, 2)
    # ... unless cells within 200 m of the map's edge are excluded (row 18 of 0..19 is 100 m in).
    inner = rank_sites(
        _stats(lit, dark, earth2, psr),
        latitude_deg=lat,
        longitude_deg=lon,
        x_m=x,
        y_m=y,
        slope=np.zeros(x.shape),
        weights={"lit": 0, "darkness": 0, "slope": 0, "ice": 0, "earth": 1},
        top_n=1,
        edge_margin_m=200.0,
    )
    assert inner["row"].iloc[0] not in (0, 1, 18, 19)
    with pytest.raises(InputError, match="unknown criteria"):
        rank_sites(
            stats,
            latitude_deg=lat,
            longitude_deg=lon,
            x_m=x,
            y_m=y,
            slope=np.zeros(x.shape),
            weights={"sunshine": 1.0},
        )
    with pytest.raises(InputError, match="no candidate"):
        rank_sites(
            stats, latitude_deg=lat, longitude_deg=lon, x_m=x, y_m=y, slope=np.full(x.shape, 40.0)
        )


@pytest.mark.slow
def test_tiles_on_dask_equal_untiled_run():
    from moonbase.site.tiles import visibility_statistics_tiled

    t = time_range("2030-01-01", "2030-04-01", "3h")
    n = 24
    rng = np.random.default_rng(5)
    yy, xx = (np.mgrid[0:n, 0:n] - n / 2) * 400.0
    rho = np.hypot(xx, yy) + 1.0
    lat = -90.0 + np.degrees(2 * np.arctan(rho / (2 * 1_737_400.0)))
    lon = np.mod(np.degrees(np.arctan2(xx, yy)), 360.0)
    horizon = np.cumsum(rng.normal(0, 0.2, (n, n, 72)), axis=-1).astype(np.float32)
    height = rng.uniform(-500, 1500, (n, n))
    whole = visibility_statistics(horizon, lat, lon, height, t)
    done = []
    tiled = visibility_statistics_tiled(
        horizon, lat, lon, height, t, tile=10, progress=lambda d, total: done.append((d, total))
    )
    assert done[-1] == (9, 9)
    for name in (
        "lit_percent",
        "effective_illumination_percent",
        "earth_visible_percent",
        "lit_and_earth_percent",
        "longest_dark_hours",
        "longest_dark_start",
        "permanent_shadow",
    ):
        np.testing.assert_array_equal(getattr(tiled, name), getattr(whole, name), err_msg=name)
    assert 0 < whole.lit_percent.mean() < 100
