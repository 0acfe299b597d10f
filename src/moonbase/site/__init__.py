"""Site analysis: Sun and Earth visibility over long spans, darkness, permanent shadow, ranking.

Core functions take plain horizon arrays (``S + (D,)`` elevations at azimuths ``arange(D) * 360
/ D`` clockwise from local north), so they work with :mod:`moonbase.terrain` horizons, analytic
horizons or horizons from elsewhere.
"""

from moonbase.site.geometry import (
    bare_sphere_horizon_deg,
    enu_basis,
    interpolate_horizon,
    tilted_disk_fraction,
)
from moonbase.site.rank import DEFAULT_WEIGHTS, psr_distance_m, rank_sites
from moonbase.site.series import SiteSummary, longest_run, site_summary, site_time_series
from moonbase.site.shadow import ground_permanent_shadow
from moonbase.site.tiles import visibility_statistics_tiled
from moonbase.site.visibility import (
    Reference,
    VisibilityStats,
    map_reference,
    visibility_statistics,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "Reference",
    "SiteSummary",
    "VisibilityStats",
    "bare_sphere_horizon_deg",
    "enu_basis",
    "ground_permanent_shadow",
    "interpolate_horizon",
    "longest_run",
    "map_reference",
    "psr_distance_m",
    "rank_sites",
    "site_summary",
    "site_time_series",
    "tilted_disk_fraction",
    "visibility_statistics",
    "visibility_statistics_tiled",
]
