"""The sky at one lunar site over a span: Sun and Earth series and their statistics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from moonbase.ephemeris.disk import solar_disk_fraction, sun_angular_radius_deg
from moonbase.ephemeris.topocentric import check_site, horizontal
from moonbase.time import Time

__all__ = ["SkySummary", "sky_summary", "utc_index"]


def utc_index(t: Time) -> pd.DatetimeIndex:
    """Times as a pandas UTC index (vectorised; leap seconds fold into the next second)."""
    year, month, day, hour, minute, second = (np.atleast_1d(v) for v in t.utc)
    whole = np.floor(second)
    stamps = pd.to_datetime(
        {"year": year, "month": month, "day": day, "hour": hour, "minute": minute, "second": whole}
    )
    stamps = stamps + pd.to_timedelta(np.round((second - whole) * 1e6), unit="us")
    return pd.DatetimeIndex(stamps, name="time_utc").tz_localize("UTC")


@dataclass(frozen=True)
class SkySummary:
    """Sun and Earth at a site over time, against a flat (terrain-free) horizon.

    ``series`` has one row per epoch; :meth:`table` gives the statistics per body.
    """

    latitude_deg: float
    longitude_deg: float
    height_m: float
    series: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """Min/max elevation and percent of time above the horizontal, per body."""
        s = self.series
        rows = []
        for body in ("sun", "earth"):
            elevation = s[f"{body}_elevation_deg"]
            rows.append(
                {
                    "body": body.capitalize(),
                    "min_elevation_deg": elevation.min(),
                    "max_elevation_deg": elevation.max(),
                    "percent_above_0deg": 100.0 * float((elevation > 0).mean()),
                }
            )
        table = pd.DataFrame(rows)
        table["percent_any_part_above_0deg"] = [
            100.0 * float((s["sun_disk_fraction"] > 0).mean()),
            np.nan,
        ]
        return table


def sky_summary(t: Time, latitude_deg: float, longitude_deg: float, height_m: float = 0.0):
    """Sun and Earth azimuth/elevation and the Sun's visible disk fraction over a flat horizon."""
    lat, lon, height = check_site(latitude_deg, longitude_deg, height_m)
    sun = horizontal(t, "sun", lat, lon, height)
    earth = horizontal(t, "earth", lat, lon, height)
    disk = solar_disk_fraction(sun.elevation_deg, sun_angular_radius_deg(sun.distance_km), 0.0)
    series = pd.DataFrame(
        {
            "sun_azimuth_deg": np.atleast_1d(sun.azimuth_deg),
            "sun_elevation_deg": np.atleast_1d(sun.elevation_deg),
            "sun_disk_fraction": np.atleast_1d(disk),
            "sun_distance_km": np.atleast_1d(sun.distance_km),
            "earth_azimuth_deg": np.atleast_1d(earth.azimuth_deg),
            "earth_elevation_deg": np.atleast_1d(earth.elevation_deg),
            "earth_distance_km": np.atleast_1d(earth.distance_km),
        },
        index=utc_index(t),
    )
    return SkySummary(float(lat), float(lon), float(height), series)
