"""Score candidate sites of a map and list the best, well apart from each other.

Each criterion is mapped to 0..1 on a fixed physical scale (not rescaled to the candidates, so a
score means the same thing in every region):

============  ===================================================  ==========================
criterion     score                                                 default weight
============  ===================================================  ==========================
lit           ``lit_percent / 100``                                 0.35
darkness      ``1 - min(longest_dark_hours, 708.7) / 708.7``         0.20
              (708.7 h: one synodic month, a whole lunar night)
earth         ``earth_visible_percent / 100``                       0.20
slope         ``1 - min(slope_deg, 30) / 30``                        0.10
ice           ``1 - min(psr_distance_km, 20) / 20`` (0 without      0.15
              any PSR on the map)
============  ===================================================  ==========================

The score is the weighted mean (weights are normalised). Cells in permanent shadow, cells
steeper than ``max_slope_deg`` and cells within ``edge_margin_m`` of the map's edge (whose
horizons lack the terrain beyond the map) are not candidates. The top N are picked greedily: best first,
then the best cell at least ``min_separation_m`` from all picked ones.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from moonbase.constants import SYNODIC_MONTH_DAYS
from moonbase.errors import InputError
from moonbase.site.visibility import VisibilityStats

__all__ = ["DEFAULT_WEIGHTS", "criterion_scores", "psr_distance_m", "rank_sites", "slope_deg"]

DEFAULT_WEIGHTS: dict[str, float] = {
    "lit": 0.35,
    "darkness": 0.20,
    "earth": 0.20,
    "slope": 0.10,
    "ice": 0.15,
}
DARKNESS_SCALE_H = SYNODIC_MONTH_DAYS * 24.0
SLOPE_SCALE_DEG = 30.0
ICE_SCALE_KM = 20.0


def slope_deg(elevation_m, pixel_size_m: float) -> np.ndarray:
    """Surface slope (degrees) of a grid by central differences (one-sided at the edges)."""
    d_row, d_col = np.gradient(np.asarray(elevation_m, dtype=float), pixel_size_m)
    return np.degrees(np.arctan(np.hypot(d_row, d_col)))


def psr_distance_m(permanent_shadow, x_m, y_m) -> np.ndarray:
    """Distance (m, in the map plane) from every cell to the nearest permanently shadowed cell.

    ``inf`` everywhere when the map has no permanently shadowed cell.
    """
    psr = np.asarray(permanent_shadow, dtype=bool)
    x, y = np.broadcast_arrays(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
    if x.shape != psr.shape:
        raise InputError(
            f"cell coordinates {x.shape} do not match the shadow map {psr.shape}", field="x_m"
        )
    if not psr.any():
        return np.full(psr.shape, np.inf)
    tree = cKDTree(np.column_stack([x[psr], y[psr]]))
    distance, _ = tree.query(np.column_stack([x.ravel(), y.ravel()]))
    return distance.reshape(psr.shape)


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(DEFAULT_WEIGHTS)
    if weights:
        unknown = sorted(set(weights) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise InputError(
                f"unknown criteria {unknown}",
                field="weights",
                hint=f"choose among {', '.join(DEFAULT_WEIGHTS)}",
            )
        merged.update({k: float(v) for k, v in weights.items()})
    if any(v < 0 or not np.isfinite(v) for v in merged.values()) or sum(merged.values()) <= 0:
        raise InputError(
            "weights must be finite, non-negative and not all zero",
            field="weights",
            hint="e.g. lit=0.5,earth=0.3,ice=0.2",
        )
    total = sum(merged.values())
    return {k: v / total for k, v in merged.items()}


def criterion_scores(
    stats: VisibilityStats, slope: np.ndarray, psr_distance: np.ndarray
) -> dict[str, np.ndarray]:
    """The 0..1 score of every cell for each criterion (see the module's table)."""
    return {
        "lit": stats.lit_percent / 100.0,
        "darkness": 1.0 - np.minimum(stats.longest_dark_hours, DARKNESS_SCALE_H) / DARKNESS_SCALE_H,
        "earth": stats.earth_visible_percent / 100.0,
        "slope": 1.0 - np.minimum(slope, SLOPE_SCALE_DEG) / SLOPE_SCALE_DEG,
        "ice": 1.0 - np.minimum(psr_distance / 1000.0, ICE_SCALE_KM) / ICE_SCALE_KM,
    }


def rank_sites(
    stats: VisibilityStats,
    *,
    latitude_deg,
    longitude_deg,
    x_m,
    y_m,
    slope: np.ndarray,
    candidates=None,
    weights: Mapping[str, float] | None = None,
    top_n: int = 10,
    min_separation_m: float = 1000.0,
    max_slope_deg: float = 15.0,
    edge_margin_m: float = 0.0,
) -> pd.DataFrame:
    """The ``top_n`` best candidate cells of a map as a table, best first.

    ``stats`` is the map's :class:`VisibilityStats` (shape ``(rows, cols)``); ``x_m``/``y_m``
    the cells' map coordinates; ``slope`` their slope in degrees; ``candidates`` an optional
    boolean mask of the region to search (default: the whole map). Cells closer than
    ``edge_margin_m`` to the map's edge are excluded: their horizons miss the terrain beyond the
    map and are too optimistic (the CLI excludes 2 km by default).
    """
    if top_n < 1:
        raise InputError(f"top_n must be at least 1, got {top_n}", field="top_n")
    w = _weights(weights)
    shape = stats.lit_percent.shape
    x, y = (np.broadcast_to(np.asarray(a, dtype=float), shape) for a in (x_m, y_m))
    slope = np.broadcast_to(np.asarray(slope, dtype=float), shape)
    distance = psr_distance_m(stats.permanent_shadow, x, y)
    scores = criterion_scores(stats, slope, distance)
    total = sum(w[name] * scores[name] for name in w)
    allowed = ~stats.permanent_shadow & (slope <= max_slope_deg)
    if edge_margin_m > 0:
        to_edge = np.minimum.reduce([x - x.min(), x.max() - x, y - y.min(), y.max() - y])
        allowed &= to_edge >= edge_margin_m
    if candidates is not None:
        allowed &= np.broadcast_to(np.asarray(candidates, dtype=bool), shape)
    if not allowed.any():
        raise InputError(
            "no candidate cell: every cell in the region is permanently shadowed, too steep or "
            "too close to the map's edge",
            field="region",
            hint="widen the region, raise max_slope_deg or lower edge_margin_m",
        )
    order = np.flatnonzero(allowed.ravel())
    order = order[np.argsort(-total.ravel()[order], kind="stable")]
    picked: list[int] = []
    xs, ys = x.ravel(), y.ravel()
    for index in order:
        if len(picked) == top_n:
            break
        if picked:
            gap = np.hypot(xs[picked] - xs[index], ys[picked] - ys[index])
            if gap.min() < min_separation_m:
                continue
        picked.append(int(index))
    rows, cols = np.unravel_index(np.array(picked, dtype=np.int64), shape)
    lat = np.broadcast_to(np.asarray(latitude_deg, dtype=float), shape)
    lon = np.broadcast_to(np.asarray(longitude_deg, dtype=float), shape)
    table = pd.DataFrame(
        {
            "rank": np.arange(1, len(picked) + 1),
            "row": rows,
            "col": cols,
            "latitude_deg": lat[rows, cols],
            "longitude_deg": lon[rows, cols],
            "x_m": x[rows, cols],
            "y_m": y[rows, cols],
            "score": total[rows, cols],
            "lit_percent": stats.lit_percent[rows, cols],
            "effective_illumination_percent": stats.effective_illumination_percent[rows, cols],
            "longest_dark_hours": stats.longest_dark_hours[rows, cols],
            "earth_visible_percent": stats.earth_visible_percent[rows, cols],
            "lit_and_earth_percent": stats.lit_and_earth_percent[rows, cols],
            "slope_deg": slope[rows, cols],
            "psr_distance_km": distance[rows, cols] / 1000.0,
        }
    )
    return table
