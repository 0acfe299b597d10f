"""Per-site time series of Sun and Earth visibility, and the one-call :func:`site_summary`.

A site's series is computed directly from :func:`moonbase.ephemeris.horizontal` at the site
itself (no reference-point shortcut), so it is also the independent check of the map kernel in
:mod:`moonbase.site.visibility`. Lit, dark and Earth-visible are computed by the one definition
of each word, :mod:`moonbase.site.predicates` (the same as the map kernel's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from moonbase.ephemeris import check_site, horizontal
from moonbase.ephemeris.summary import utc_index
from moonbase.errors import InputError
from moonbase.site.geometry import bare_sphere_horizon_deg, check_horizon
from moonbase.site.predicates import horizon_at, is_in_view, sun_view
from moonbase.site.visibility import epoch_step_s
from moonbase.time import Time, time_range
from moonbase.windows import Windows

__all__ = [
    "SiteSummary",
    "dark_runs",
    "longest_run",
    "site_summary",
    "site_time_series",
]


def longest_run(flags) -> tuple[int, int]:
    """Length and start index of the longest run of ``True`` in a 1-D boolean array.

    Returns ``(0, -1)`` when there is none. A thin wrapper of :class:`moonbase.windows.Windows`.
    """
    length, start = Windows.from_flags(flags).longest()
    return (0, -1) if start is None else (int(length), int(start))


def dark_runs(flags) -> np.ndarray:
    """All runs of ``True`` in a 1-D boolean array as rows ``(start_index, length)``.

    A thin wrapper of :class:`moonbase.windows.Windows` (sample-index axis).
    """
    runs = Windows.from_flags(flags)
    return np.stack([runs.start, runs.durations], axis=-1).astype(np.int64)


def site_time_series(
    horizon_deg,
    latitude_deg: float,
    longitude_deg: float,
    height_m: float,
    times: Time,
) -> pd.DataFrame:
    """Sun and Earth seen from one site against its horizon, one row per time.

    ``horizon_deg`` is ``(D,)`` (azimuths ``arange(D) * 360 / D``, clockwise from local north);
    ``height_m`` is the eye's height above the 1737.4 km sphere. Columns: ``sun_azimuth_deg``,
    ``sun_elevation_deg``, ``horizon_at_sun_deg``, ``sun_radius_deg``, ``sun_disk_fraction``,
    ``lit``, ``earth_azimuth_deg``, ``earth_elevation_deg``, ``horizon_at_earth_deg``,
    ``earth_visible`` and ``lit_and_earth``; the index is UTC (``utc``).
    """
    horizon = check_horizon(horizon_deg)
    if horizon.ndim != 1:
        raise InputError(
            f"expected one site's horizon of shape (D,), got {horizon.shape}", field="horizon_deg"
        )
    lat, lon, height = check_site(latitude_deg, longitude_deg, height_m)
    if lat.ndim != 0:
        raise InputError("expected a single site", field="latitude_deg")
    epoch_step_s(times)
    # The one definition of each word (moonbase.site.predicates): sunlit is a disk fraction
    # above zero, Earth in view is its centre above the horizon at its azimuth.
    sun = sun_view(times, float(lat), float(lon), float(height), horizon)
    earth = horizontal(times, "earth", float(lat), float(lon), float(height))
    earth_h, _ = horizon_at(horizon, earth.azimuth_deg)
    sun_h, radius, fraction = sun.horizon_at_sun_deg, sun.radius_deg, sun.disk_fraction
    lit = sun.sunlit
    visible = is_in_view(earth.elevation_deg, earth_h)
    index = utc_index(times).rename("utc")
    return pd.DataFrame(
        {
            "sun_azimuth_deg": sun.azimuth_deg,
            "sun_elevation_deg": sun.elevation_deg,
            "horizon_at_sun_deg": sun_h,
            "sun_radius_deg": radius,
            "sun_disk_fraction": fraction,
            "lit": lit,
            "earth_azimuth_deg": earth.azimuth_deg,
            "earth_elevation_deg": earth.elevation_deg,
            "horizon_at_earth_deg": earth_h,
            "earth_visible": visible,
            "lit_and_earth": lit & visible,
        },
        index=index,
    )


@dataclass(frozen=True)
class SiteSummary:
    """Visibility of one site over a span, for reports.

    ``terrain`` says where the horizon came from (a DEM file, a synthetic terrain, or a bare
    sphere); ``series`` is the full time series (:func:`site_time_series`).
    """

    latitude_deg: float
    longitude_deg: float
    height_above_ground_m: float
    start_utc: str
    stop_utc: str
    step_s: float
    n_epochs: int
    lit_percent: float
    effective_illumination_percent: float
    longest_dark_hours: float
    longest_dark_start_utc: str | None
    earth_visible_percent: float
    lit_and_earth_percent: float
    terrain: str
    series: pd.DataFrame

    def as_dict(self) -> dict:
        """The scalar fields (everything but the series), e.g. for a report table."""
        return {k: v for k, v in self.__dict__.items() if k != "series"}


def summarise_series(series: pd.DataFrame, step_s: float) -> dict:
    """Percentages and the longest darkness of a :func:`site_time_series` table."""
    n = len(series)
    length, start = longest_run(~series["lit"].to_numpy())
    return {
        "n_epochs": n,
        "lit_percent": 100.0 * float(series["lit"].mean()),
        "effective_illumination_percent": 100.0 * float(series["sun_disk_fraction"].mean()),
        "longest_dark_hours": length * step_s / 3600.0,
        "longest_dark_start_utc": None if start < 0 else series.index[start].isoformat(),
        "earth_visible_percent": 100.0 * float(series["earth_visible"].mean()),
        "lit_and_earth_percent": 100.0 * float(series["lit_and_earth"].mean()),
    }


def site_summary(
    latitude_deg: float,
    longitude_deg: float,
    start,
    stop,
    step,
    *,
    terrain=None,
    height_above_ground_m: float = 2.0,
    n_azimuths: int = 360,
    horizon_deg=None,
    outer=None,
    ground_m: float = 0.0,
    source: str | None = None,
) -> SiteSummary:
    """Percent lit, longest darkness, Earth visibility and the time series of one site.

    The horizon comes from ``horizon_deg`` if given, else from ``terrain`` (a
    :class:`moonbase.terrain.Terrain`, through ``horizon_at_points``), else from a bare
    1737.4 km sphere (no terrain at all: an upper bound on sunlight at a pole). ``outer``: a
    coarser DEM around ``terrain`` for the far field (e.g. ``moonbase.terrain.outer_from_global``).
    With ``horizon_deg``, ``ground_m`` is the ground's height above the sphere (the eye stands at
    ``ground_m + height_above_ground_m``) and ``source`` says where the horizon came from.

    >>> s = site_summary(-89.45, 222.69, "2030-01-01", "2030-01-03", "6h")
    >>> s.terrain, s.n_epochs
    ('bare sphere (no terrain)', 9)
    """
    times = time_range(start, stop, step)
    step_s = epoch_step_s(times)
    lat, lon, _ = check_site(latitude_deg, longitude_deg, height_above_ground_m)
    lat, lon = float(lat), float(lon)
    if horizon_deg is not None:
        horizon = check_horizon(horizon_deg)
        ground_m = float(ground_m)
        source = source or "horizon given by the caller"
    elif terrain is not None:
        from moonbase.site.terrain_link import point_horizon_and_ground

        horizon, ground_m, source = point_horizon_and_ground(
            terrain, lat, lon, height_above_ground_m, n_azimuths, outer=outer
        )
    else:
        horizon = np.full(n_azimuths, float(bare_sphere_horizon_deg(height_above_ground_m)))
        ground_m, source = 0.0, "bare sphere (no terrain)"
    series = site_time_series(horizon, lat, lon, ground_m + height_above_ground_m, times)
    return SiteSummary(
        latitude_deg=lat,
        longitude_deg=lon,
        height_above_ground_m=float(height_above_ground_m),
        start_utc=times[0].utc_iso(),
        stop_utc=times[-1].utc_iso(),
        step_s=step_s,
        terrain=source,
        series=series,
        **summarise_series(series, step_s),
    )
