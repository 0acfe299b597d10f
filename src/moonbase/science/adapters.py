"""Adapters from the other stages: hourly series to :class:`StationResources`, scenario to requests.

* :func:`resample_resources` folds a time-indexed DataFrame (any step dividing the bucket) into
  buckets: power is the **minimum** over the bucket (a run draws its power throughout),
  downlink volume and crew/robot hours are **sums**, a window is open when it is open at every
  sample of the bucket (:func:`moonbase.windows.bucket_open`; a sample is open when its value
  is above zero, :func:`moonbase.site.predicates.open_at`).
* :func:`resources_from_systems` reads a systems-twin result: power left for science is the
  curtailed surplus (``curtailed_w``), crew hours are ``crew * science_h_per_crew_day / 24`` per
  hour, the windows come from ``sun_fraction`` (sunlit: any part of the disk shows, fraction
  > 0) and ``earth_visible`` (the Earth's centre above the horizon), the data buffer from the
  comms terminals. Science downlink per step is what the terminals and relays can carry
  (the twin's ``downlink_capacity_gbit``: each terminal's direct-to-Earth rate while Earth is
  in view plus its relay rate times ``relay_available``, scaled by its served power) less the
  housekeeping data the twin delivered in that step, never below zero.
* :func:`requests_from_scenario` turns scenario partners and experiments into science inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from moonbase.errors import InputError
from moonbase.science.models import Category, ExperimentRequest, Partner, StationResources
from moonbase.science.shares import entitlements_from_scenario
from moonbase.site.predicates import is_sunlit, open_at
from moonbase.windows import bucket_open

__all__ = [
    "off_station_experiments",
    "requests_from_scenario",
    "resample_resources",
    "resources_from_systems",
    "science_downlink_mbit",
    "science_priority",
]

_VOLUMES = ("downlink_mbit", "crew_time_h", "robot_time_h")
_LEVELS = ("power_w", "payload_mass_kg", "payload_volume_m3")


def resample_resources(
    series: pd.DataFrame, *, bucket_hours: float = 24.0, windows: tuple[str, ...] = ()
) -> StationResources:
    """Bucket a DataFrame indexed by UTC with columns ``power_w``, ``downlink_mbit`` (per step),
    ``crew_time_h``, ``robot_time_h`` (per step), optional ``payload_mass_kg`` /
    ``payload_volume_m3`` and boolean window columns ``windows``. A trailing partial bucket is
    dropped.
    """
    if not isinstance(series.index, pd.DatetimeIndex) or len(series) < 2:
        raise InputError("needs a DatetimeIndex with at least two samples", field="series")
    step_h = (series.index[1] - series.index[0]).total_seconds() / 3600.0
    per_bucket = bucket_hours / step_h
    if per_bucket < 1 or abs(per_bucket - round(per_bucket)) > 1e-9:
        raise InputError(
            f"bucket of {bucket_hours:g} h is not a whole number of {step_h:g} h steps",
            field="bucket_hours",
            hint="choose a bucket that is a multiple of the series step",
        )
    k = round(per_bucket)
    n = len(series) // k
    missing = [c for c in ("power_w", *_VOLUMES, *windows) if c not in series.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", field="series")

    def fold(column):
        return np.asarray(series[column].to_numpy()[: n * k], dtype=float).reshape(n, k)

    values = {c: list(fold(c).sum(axis=1)) for c in _VOLUMES}
    for c in _LEVELS:
        if c in series.columns:
            values[c] = list(np.maximum(fold(c).min(axis=1), 0.0))
    return StationResources(
        start_utc=series.index[0].strftime("%Y-%m-%dT%H:%M:%S"),
        bucket_hours=bucket_hours,
        windows={
            w: bucket_open(open_at(series[w].to_numpy()[: n * k]), k).tolist() for w in windows
        },
        **values,
    )


def science_downlink_mbit(series: pd.DataFrame) -> np.ndarray:
    """Downlink left for science per step (Mbit) in a twin's series.

    ``downlink_capacity_gbit`` (what the terminals and relays can carry) less the housekeeping
    data delivered (``data_delivered_gbit`` less ``science_data_delivered_gbit``), at least 0.
    """
    capacity = series["downlink_capacity_gbit"].to_numpy(dtype=float)
    delivered = series["data_delivered_gbit"].to_numpy(dtype=float)
    if "science_data_delivered_gbit" in series.columns:
        delivered = delivered - series["science_data_delivered_gbit"].to_numpy(dtype=float)
    return np.maximum(capacity - delivered, 0.0) * 1000.0


def resources_from_systems(
    result,
    *,
    bucket_hours: float = 24.0,
    science_h_per_crew_day: float = 4.0,
    robot_h_per_day: float = 16.0,
    data_buffer_gbit: float | None = None,
) -> StationResources:
    """Science resources from a ``moonbase.systems`` simulation result (see module docstring).

    Science downlink: :func:`science_downlink_mbit` of the twin's series. Science data wait for
    it in ``data_buffer_gbit`` of onboard storage: by default the buffers of the station's
    comms terminals (the twin's housekeeping data share them, and go first).
    """
    if data_buffer_gbit is None:
        data_buffer_gbit = result.station.data_buffer_gbit
    s = result.series
    step_h = (s.index[1] - s.index[0]).total_seconds() / 3600.0
    earth = open_at(s["earth_visible"].to_numpy(dtype=float))
    lit = is_sunlit(s["sun_fraction"].to_numpy(dtype=float))
    frame = pd.DataFrame(
        {
            "power_w": s["curtailed_w"].to_numpy(dtype=float),
            "downlink_mbit": science_downlink_mbit(s),
            "crew_time_h": s["crew"].to_numpy(dtype=float) * science_h_per_crew_day / 24.0 * step_h,
            "robot_time_h": np.full(len(s), robot_h_per_day / 24.0 * step_h),
            "sunlit": lit,
            "dark": ~lit,
            "earth_in_view": earth,
            "earth_hidden": ~earth,
        },
        index=s.index,
    )
    resources = resample_resources(
        frame,
        bucket_hours=bucket_hours,
        windows=("sunlit", "dark", "earth_in_view", "earth_hidden"),
    )
    return resources.model_copy(update={"data_buffer_gbit": float(data_buffer_gbit)})


_CATEGORY = {
    "exploration_utilisation": Category.EXPLORATION_AND_UTILISATION,
    "lunar_based_observation": Category.LUNAR_BASED_OBSERVATION,
    "basic_science": Category.BASIC_SCIENCE,
    "technology_verification": Category.TECHNOLOGY_VERIFICATION,
}
_WINDOW = {"sunlit": "sunlit", "dark": "dark", "earth_in_view": "earth_in_view"}
_WINDOW["earth_not_in_view"] = "earth_hidden"


def science_priority(scenario_priority: int) -> int:
    """The scenario's experiment priority (1-10, 10 most important) on the one science scale.

    The science scale is 1-5, 5 most important (:class:`ExperimentRequest.priority`, the
    weight of a run's value). This is the one place a foreign scale enters:
    ``ceil(p / 2)``, so 1-2 -> 1, 3-4 -> 2, ..., 9-10 -> 5.
    """
    return max(1, min(5, math.ceil(scenario_priority / 2)))


def requests_from_scenario(scenario) -> tuple[tuple[Partner, ...], tuple[ExperimentRequest, ...]]:
    """Partners with entitlements and the experiment requests of a scenario.

    Entitlements: :func:`moonbase.science.shares.entitlements_from_scenario` (the one share
    rule). Scenario priorities 1-10 map to 1-5 (:func:`science_priority`); data volumes are
    gigabits on both sides; window ``"any"`` is no window. An experiment's ``requires`` that
    names an element becomes the window ``element:<id>`` (open once that element operates, see
    :func:`with_element_windows`); one that names another experiment becomes ``depends_on``.
    """
    entitlements = entitlements_from_scenario(scenario)
    partners = tuple(
        Partner(id=p.id, name=getattr(p, "name", p.id), entitlement=entitlements[p.id])
        for p in scenario.partners
    )
    experiment_ids = {e.id for e in scenario.experiments}
    requests = tuple(
        ExperimentRequest(
            id=e.id,
            partner=e.partner,
            category=_CATEGORY[e.category],
            title=e.title,
            duration_h=e.duration_h,
            power_w=e.power_w,
            data_volume_gbit=e.data_volume_gbit,
            crew_time_h=e.crew_time_h,
            windows=tuple(_WINDOW[w] for w in e.windows if w != "any")
            + tuple(f"element:{r}" for r in e.requires if r not in experiment_ids),
            priority=science_priority(e.priority),
            depends_on=tuple(r for r in e.requires if r in experiment_ids),
            repeats=e.repeats,
            repeat_gap_h=e.repeat_gap_h,
            consumables_kg_per_run=e.consumables_kg_per_run,
        )
        for e in scenario.experiments
    )
    return partners, requests


def off_station_experiments(
    scenario, location: str = "site", *, hostless: bool = True
) -> dict[str, str]:
    """The scenario's experiments hosted away from the station, each with the reason.

    An experiment whose ``requires`` names an element with a ``location`` other than the
    station's (``"site"``, or ``"node"`` for the orbit node; a lander elsewhere on the Moon, an
    orbiter) runs on that element's power, data link and time, not the station's: the station's
    programme leaves it out (the science stage says so in
    :attr:`moonbase.science.stage.ScienceResult.off_station`). An experiment hosted by no
    element belongs to the station only with ``hostless`` (a plan with a surface base and an
    orbit node gives it to the surface base).
    """
    where = {e.id: e.location for e in scenario.elements}
    out = {}
    for experiment in scenario.experiments:
        hosts = [r for r in experiment.requires if r in where]
        if not hosts and not hostless:
            out[experiment.id] = "hosted by no element: scheduled at the other station"
            continue
        away = [r for r in hosts if where[r] != location]
        if away:
            out[experiment.id] = f"on {away[0]} at {where[away[0]]}, not at the station"
    return out


def with_element_windows(
    resources: StationResources, scenario, operating_dates: dict | None
) -> StationResources:
    """Add an ``element:<id>`` window per scenario element: open from the day it operates.

    ``operating_dates`` maps element ids to their first operating date (None: operating before
    the campaign); elements absent from it (not flown) get a window that never opens.
    """
    starts = pd.date_range(
        resources.start_utc,
        periods=resources.n_buckets,
        freq=pd.Timedelta(hours=resources.bucket_hours),
    )
    windows = dict(resources.windows)
    for element in scenario.elements:
        if operating_dates is None or element.id not in operating_dates:
            is_open = np.zeros(resources.n_buckets, dtype=bool)
        elif operating_dates[element.id] is None:
            is_open = np.ones(resources.n_buckets, dtype=bool)
        else:
            is_open = starts >= pd.Timestamp(operating_dates[element.id])
        windows[f"element:{element.id}"] = [bool(v) for v in is_open]
    return resources.model_copy(update={"windows": windows})
