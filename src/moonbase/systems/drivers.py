"""The environment series that drive a station simulation, one value per time step.

:class:`Drivers` holds, on a uniform UTC grid: the fraction of the Sun's disk above the horizon,
the Sun's elevation and azimuth (for panel incidence), the Sun's distance in au, whether the Earth
is in view (direct-to-Earth link), whether a relay is available, and the crew on board. The disk
fraction drives PV power; a step is *lit* when it is above zero and *dark* when it is zero
(:func:`moonbase.site.predicates.is_sunlit`), so darkness here is the site stage's darkness.

Builders: :func:`flat_horizon_drivers` (the environment engine with a level horizon at
``horizon_deg``) and :func:`drivers_from_site_series` (a :mod:`moonbase.site` time series,
terrain horizon included).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from moonbase.errors import InputError

__all__ = ["AU_KM", "Drivers", "drivers_from_site_series", "flat_horizon_drivers"]

#: IAU 2012 astronomical unit, km.
AU_KM = 149_597_870.7


class Drivers(BaseModel):
    """Hourly (or any uniform step) environment and crew series for :func:`simulate_station`.

    All arrays have the length of ``times_utc`` (a tz-naive UTC :class:`pandas.DatetimeIndex`
    with a uniform step). ``relay_available`` and ``crew`` default to zeros,
    ``sun_distance_au`` to 1. A pydantic model holding numpy arrays: the constructor checks
    lengths, ranges and the time grid and raises InputError naming the series at fault.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    times_utc: pd.DatetimeIndex
    step_s: float
    sun_fraction: np.ndarray
    sun_elevation_deg: np.ndarray
    sun_azimuth_deg: np.ndarray
    earth_visible: np.ndarray
    relay_available: np.ndarray
    crew: np.ndarray
    sun_distance_au: np.ndarray

    def __init__(
        self,
        times_utc,
        sun_fraction,
        sun_elevation_deg,
        sun_azimuth_deg,
        earth_visible,
        relay_available=None,
        crew=None,
        sun_distance_au=None,
    ):
        times = pd.DatetimeIndex(times_utc)
        if times.tz is not None:
            times = times.tz_convert("UTC").tz_localize(None)
        n = len(times)
        if n < 2:
            raise InputError("need at least two time steps", field="times_utc")
        steps = np.diff(times.as_unit("ns").asi8) / 1e9
        if np.any(np.abs(steps - steps[0]) > 1e-3) or steps[0] <= 0:
            raise InputError("times must be increasing with a uniform step", field="times_utc")

        def series(values, field, default=None, low=None, high=None):
            if values is None:
                values = np.full(n, default, dtype=float)
            array = np.array(values, dtype=float).reshape(-1)  # a copy, made read-only below
            if array.shape != (n,):
                raise InputError(f"expected {n} values, got {array.shape[0]}", field=field)
            if not np.all(np.isfinite(array)):
                raise InputError("contains NaN or infinite values", field=field)
            if (low is not None and array.min() < low) or (high is not None and array.max() > high):
                raise InputError(
                    f"values must lie in [{low}, {high}], got [{array.min():g}, {array.max():g}]",
                    field=field,
                )
            array.flags.writeable = False
            return array

        super().__init__(
            times_utc=times,
            step_s=float(steps[0]),
            sun_fraction=series(sun_fraction, "sun_fraction", low=0.0, high=1.0),
            sun_elevation_deg=series(sun_elevation_deg, "sun_elevation_deg", low=-90, high=90),
            sun_azimuth_deg=series(np.mod(sun_azimuth_deg, 360.0), "sun_azimuth_deg"),
            earth_visible=series(earth_visible, "earth_visible", low=0, high=1),
            relay_available=series(relay_available, "relay_available", 0.0, 0, 1),
            crew=series(crew, "crew", 0.0, low=0),
            sun_distance_au=series(sun_distance_au, "sun_distance_au", 1.0, low=0.5, high=1.5),
        )

    def __len__(self) -> int:
        return len(self.times_utc)

    @property
    def step_h(self) -> float:
        return self.step_s / 3600.0

    def with_crew(self, crew) -> Drivers:
        """A copy with another crew series (a number or one value per step)."""
        return self._copy(crew=np.broadcast_to(np.asarray(crew, dtype=float), (len(self),)))

    def with_relay(self, relay_available) -> Drivers:
        """A copy with another relay availability series (0..1 per step)."""
        values = np.broadcast_to(np.asarray(relay_available, dtype=float), (len(self),))
        return self._copy(relay_available=values)

    def _copy(self, **changes) -> Drivers:
        fields = dict(
            times_utc=self.times_utc,
            sun_fraction=self.sun_fraction,
            sun_elevation_deg=self.sun_elevation_deg,
            sun_azimuth_deg=self.sun_azimuth_deg,
            earth_visible=self.earth_visible,
            relay_available=self.relay_available,
            crew=self.crew,
            sun_distance_au=self.sun_distance_au,
        )
        fields.update(changes)
        return Drivers(**fields)

    def frame(self) -> pd.DataFrame:
        """The drivers as a DataFrame indexed by UTC."""
        return pd.DataFrame(
            {
                "sun_fraction": self.sun_fraction,
                "sun_elevation_deg": self.sun_elevation_deg,
                "sun_azimuth_deg": self.sun_azimuth_deg,
                "sun_distance_au": self.sun_distance_au,
                "earth_visible": self.earth_visible,
                "relay_available": self.relay_available,
                "crew": self.crew,
            },
            index=pd.DatetimeIndex(self.times_utc, name="utc"),
        )


def flat_horizon_drivers(
    latitude_deg: float,
    longitude_deg: float,
    start,
    stop,
    step="1h",
    *,
    height_m: float = 0.0,
    horizon_deg: float = 0.0,
    crew=0.0,
    relay_available=0.0,
) -> Drivers:
    """Drivers at a site with a level horizon at ``horizon_deg`` (0: flat ground).

    A negative ``horizon_deg`` models a peak above its surroundings (on a bare sphere the horizon
    dips by ``arccos(R / (R + h))`` for a height ``h`` above the surroundings). Sun and Earth
    come from :func:`moonbase.ephemeris.horizontal` (DE421, apparent, MOON_ME); the Sun is a
    disk and the Earth counts as in view when its centre is above the horizon: the one
    definition of each word, :mod:`moonbase.site.predicates`.
    """
    from moonbase.ephemeris import horizontal
    from moonbase.ephemeris.summary import utc_index
    from moonbase.site.predicates import is_in_view, sun_view
    from moonbase.time import time_range

    t = time_range(start, stop, step)
    sun = sun_view(t, latitude_deg, longitude_deg, height_m, horizon_deg)
    earth = horizontal(t, "earth", latitude_deg, longitude_deg, height_m)
    fraction = sun.disk_fraction
    return Drivers(
        times_utc=utc_index(t).tz_localize(None).rename(None),
        sun_fraction=fraction,
        sun_elevation_deg=sun.elevation_deg,
        sun_azimuth_deg=sun.azimuth_deg,
        earth_visible=is_in_view(earth.elevation_deg, horizon_deg).astype(float),
        relay_available=np.broadcast_to(np.asarray(relay_available, float), fraction.shape),
        crew=np.broadcast_to(np.asarray(crew, float), fraction.shape),
        sun_distance_au=np.asarray(sun.distance_km) / AU_KM,
    )


def drivers_from_site_series(series: pd.DataFrame, *, crew=0.0, relay_available=0.0) -> Drivers:
    """Drivers from a :func:`moonbase.site.series.site_time_series` table (terrain horizon).

    Uses its ``sun_disk_fraction``, ``sun_elevation_deg``, ``sun_azimuth_deg`` and
    ``earth_visible`` columns; the Sun's distance follows from ``sun_radius_deg`` when present.
    """
    needed = ("sun_disk_fraction", "sun_elevation_deg", "sun_azimuth_deg", "earth_visible")
    missing = [c for c in needed if c not in series.columns]
    if missing:
        raise InputError(
            f"site series lacks columns {missing}",
            field="series",
            hint="pass the table from moonbase.site.series.site_time_series",
        )
    distance_au = None
    if "sun_radius_deg" in series.columns:
        from moonbase.constants import SUN_RADIUS_KM

        distance_au = SUN_RADIUS_KM / np.sin(np.radians(series["sun_radius_deg"].to_numpy()))
        distance_au = distance_au / AU_KM
    n = len(series)
    return Drivers(
        times_utc=series.index,
        sun_fraction=np.clip(series["sun_disk_fraction"].to_numpy(float), 0.0, 1.0),
        sun_elevation_deg=series["sun_elevation_deg"].to_numpy(float),
        sun_azimuth_deg=series["sun_azimuth_deg"].to_numpy(float),
        earth_visible=series["earth_visible"].to_numpy(float),
        relay_available=np.broadcast_to(np.asarray(relay_available, float), (n,)),
        crew=np.broadcast_to(np.asarray(crew, float), (n,)),
        sun_distance_au=distance_au,
    )
