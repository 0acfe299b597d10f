"""Adapters from the registry's job signature ``fn(params, progress, checkpoint)`` to the
library stages, used by the portal when the stage is installed.

* ``optimise``: :func:`moonbase.campaign.optimise_campaign` on the job's scenario (or the built-in
  ILRS reference scenario); the document holds the flights (for
  :func:`moonbase.campaign.check_plan`), a Gantt task per flown element and the objective values
  against CP-SAT's bound.
* ``simulate``: :func:`moonbase.systems.simulate_station` on the reference station with
  flat-horizon drivers at a site; the document holds the KPIs and hourly power and data series.
* ``schedule``: :func:`moonbase.science.schedule_cpsat` (greedy warm start and fallback inside
  it) on the portal's open requests, see :func:`schedule`.

Library calls are not interruptible: a cancel takes effect at the next progress report.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from moonbase.errors import InputError

__all__ = ["available", "optimise", "schedule", "scheduling_problem", "simulate"]

_ENTRY = {
    "optimise": ("moonbase.campaign", "optimise_campaign"),
    "simulate": ("moonbase.systems", "simulate_station"),
    "schedule": ("moonbase.science", "schedule_cpsat"),
}


def available(kind: str) -> bool:
    """Whether the library function behind job ``kind`` can be imported."""
    if kind not in _ENTRY:
        return False
    module_name, name = _ENTRY[kind]
    try:
        return hasattr(import_module(module_name), name)
    except ImportError:
        return False


def _number(params: dict, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(params.get(name, default))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number", field=f"params.{name}") from None
    if not low <= value <= high:
        raise InputError(f"{name}={value:g} is outside {low:g}..{high:g}", field=f"params.{name}")
    return value


def _scenario(params: dict):
    from moonbase.scenario import Scenario, builtin_scenario

    document = params.get("scenario")
    if document is None:
        return builtin_scenario(str(params.get("builtin", "ilrs-reference")))
    return Scenario.model_validate_json(json.dumps(document))


def optimise(params: dict, progress, checkpoint: dict | None = None) -> dict:
    from moonbase.campaign import optimise_campaign

    time_limit_s = _number(params, "time_limit_s", 20.0, 1.0, 600.0)
    workers = int(_number(params, "workers", 1, 1, 16))
    progress(0.02, "building the campaign instance")
    scenario = _scenario(params)
    progress(0.05, f"solving (CP-SAT, up to {time_limit_s:g} s)")
    result = optimise_campaign(scenario, time_limit_s=time_limit_s, workers=workers)
    table = result.plan.table(result.instance)
    tasks = [
        {
            "element": str(row["element"]),
            "partner": str(row["partner"]),
            "launcher": str(row["launcher"]),
            "start": row["launch_date"].date().isoformat(),
            "finish": row["operating_date"].date().isoformat(),
            "mass_kg": float(row["landed_mass_kg"]),
        }
        for row in table.to_dict("records")
        if row["launcher"] is not None and row["launch_date"] == row["launch_date"]
    ]
    summary: dict[str, Any] = {
        "flights": len(result.plan.flights),
        "status": result.status,
        "objectives": list(result.objectives),
        "values": {k: float(v) for k, v in result.values.items()},
        "greedy_values": {k: float(v) for k, v in result.greedy_values.items()},
        "bound": None if result.bound is None else float(result.bound),
        "gap": None if result.gap is None else float(result.gap),
        "completion_date": str(result.completion_date()),
        "wall_s": float(result.wall_s),
        "violations": list(result.violations),
    }
    progress(1.0, "done")
    return {"summary": summary, "tasks": tasks, "flights": result.plan.model_dump()["flights"]}


def simulate(params: dict, progress, checkpoint: dict | None = None) -> dict:
    import numpy as np
    import pandas as pd

    from moonbase.systems import flat_horizon_drivers, reference_station, simulate_station

    latitude = _number(params, "latitude_deg", -89.45, -90.0, 90.0)
    longitude = _number(params, "longitude_deg", 222.7, -360.0, 360.0)
    horizon = _number(params, "horizon_deg", 0.0, -10.0, 30.0)
    crew = _number(params, "crew", 4, 0, 100)
    n_science = int(_number(params, "n_science", 2, 0, 50))
    try:
        start = pd.Timestamp(str(params.get("start", "2031-01-01")))
        stop = pd.Timestamp(str(params.get("stop", "2031-02-01")))
    except ValueError:
        raise InputError("start and stop must be dates", field="params.start") from None
    hours = (stop - start) / pd.Timedelta(hours=1)
    if not 1 <= hours <= 2 * 8766:
        raise InputError(
            f"the run is {hours:g} h; give 1 h to 2 years",
            field="params.stop",
            hint="e.g. one month",
        )
    progress(0.05, "sun and earth at the site")
    drivers = flat_horizon_drivers(
        latitude,
        longitude,
        start.isoformat(),
        stop.isoformat(),
        "1h",
        horizon_deg=horizon,
        crew=crew,
    )
    progress(0.4, "simulating the station")
    result = simulate_station(reference_station(n_science=n_science), drivers)
    arrays = result.arrays
    served = np.asarray(arrays["served_w"], float)
    delivered_gb = np.cumsum(np.asarray(arrays["data_delivered_gbit"], float)) / 8.0
    summary = {k: float(v) for k, v in result.kpis.items()}
    summary["mean_power_w"] = float(served.mean())
    progress(1.0, "done")
    return {
        "summary": summary,
        "series": {
            "hour": list(range(served.size)),
            "utc": [t.isoformat() for t in pd.DatetimeIndex(drivers.times_utc)],
            "power_w": served.round(3).tolist(),
            "pv_w": np.asarray(arrays["pv_w"], float).round(3).tolist(),
            "demand_w": np.asarray(arrays["demand_w"], float).round(3).tolist(),
            "data_gb": delivered_gb.round(6).tolist(),
        },
    }


#: Station offer to science per day, used for every bucket of the schedule job (a documented
#: planning constant, overridable through the job's params): the portal's reference station
#: simulation at the south-pole site leaves no curtailed surplus in the polar night, so its
#: per-bucket surplus is not a usable offer for a demonstration portal.
SCIENCE_OFFER = {
    "power_w": 5000.0,  # W held for experiments
    "downlink_mbit_per_day": 240_000.0,  # 10 Gbit/h for 24 h: a planning figure (a plan takes its downlink from the twin)
    "crew_h_per_day": 16.0,  # 4 crew x 4 science hours
    "robot_h_per_day": 16.0,
    "data_buffer_gbit": 0.0,  # onboard storage for data waiting for the downlink
}
#: Longest scheduling horizon (days); requests beyond it are rejected with the reason.
MAX_HORIZON_DAYS = 731


def _day(value, name: str):
    from datetime import date

    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{name} must be a date YYYY-MM-DD", field=f"params.{name}") from None


def request_window(request_id) -> str:
    """Name of the window series that is open from a request's earliest to its latest day."""
    return f"request:{request_id}"


def scheduling_problem(params: dict):
    """The :class:`moonbase.science.SchedulingProblem` of the portal's requests.

    One bucket per UTC day from ``params["start"]`` (default: the earliest ``earliest``) to
    ``params["stop"]`` (exclusive; default: the day after the latest ``latest``, at most
    :data:`MAX_HORIZON_DAYS` after the start). Each portal request ``{id, partner_id,
    duration_h, power_w, data_gb, earliest, latest, priority, needs_sunlight}`` becomes an
    :class:`~moonbase.science.ExperimentRequest` with

    * the window ``request:<id>``, open on the days ``earliest..latest`` (a run must lie wholly
      inside them), plus ``sunlit`` when it needs sunlight; ``sunlit`` is open on the days when
      the Sun is above a flat horizon (``horizon_deg``) at the site (``latitude_deg``,
      ``longitude_deg``) for the whole day, from :func:`moonbase.systems.flat_horizon_drivers`;
    * ``data_volume_gbit = 8 * data_gb``; science priority ``6 - priority`` (the portal's 1 is
      the highest, the scheduler weighs higher numbers more); the request's ``category``
      (``basic_science`` when not given).

    The station's offer is :data:`SCIENCE_OFFER` every day, each figure overridable in
    ``params`` (``offer_power_w``, ``offer_downlink_mbit_per_day``, ``offer_crew_h_per_day``,
    ``offer_robot_h_per_day``, ``offer_data_buffer_gbit``). Partners are those of the requests, without entitlements.
    """
    from datetime import timedelta

    import numpy as np

    from moonbase.science import (
        Category,
        ExperimentRequest,
        Partner,
        SchedulingProblem,
        StationResources,
    )
    from moonbase.systems import flat_horizon_drivers

    rows = params.get("requests") or []
    if not rows:
        raise InputError("there are no open requests to schedule", field="requests")
    earliest = [_day(r["earliest"], "earliest") for r in rows]
    latest = [_day(r["latest"], "latest") for r in rows]
    start = _day(params["start"], "start") if params.get("start") else min(earliest)
    if params.get("stop"):
        stop = _day(params["stop"], "stop")
    else:
        stop = min(max(latest) + timedelta(days=1), start + timedelta(days=MAX_HORIZON_DAYS))
    days = (stop - start).days
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise InputError(
            f"the horizon {start}..{stop} is {days} days; give 1 to {MAX_HORIZON_DAYS}",
            field="params.stop",
        )
    offer = {k: _number(params, f"offer_{k}", v, 0.0, 1e9) for k, v in SCIENCE_OFFER.items()}
    latitude = _number(params, "latitude_deg", -89.45, -90.0, 90.0)
    longitude = _number(params, "longitude_deg", 222.7, -360.0, 360.0)
    horizon = _number(params, "horizon_deg", 0.0, -10.0, 30.0)
    drivers = flat_horizon_drivers(
        latitude,
        longitude,
        start.isoformat(),
        stop.isoformat(),
        "1h",
        horizon_deg=horizon,
    )
    sun = np.asarray(drivers.sun_fraction, float)[: days * 24].reshape(days, 24)
    day_index = np.arange(days)
    windows = {"sunlit": [bool(x) for x in sun.min(axis=1) > 0.5]}
    requests = []
    for row, lo, hi in zip(rows, earliest, latest, strict=True):
        rid = str(row["id"])
        first, last = (lo - start).days, (hi - start).days
        windows[request_window(rid)] = [bool(x) for x in (day_index >= first) & (day_index <= last)]
        requests.append(
            ExperimentRequest(
                id=rid,
                partner=str(row["partner_id"]),
                category=Category(row.get("category") or Category.BASIC_SCIENCE),
                title=str(row.get("title", "")),
                duration_h=float(row["duration_h"]),
                power_w=float(row["power_w"]),
                data_volume_gbit=8.0 * float(row["data_gb"]),
                windows=(request_window(rid), *(("sunlit",) if row.get("needs_sunlight") else ())),
                priority=6 - int(row["priority"]),
            )
        )
    partners = tuple(Partner(id=pid) for pid in sorted({q.partner for q in requests}))
    resources = StationResources(
        start_utc=f"{start.isoformat()}T00:00:00",
        bucket_hours=24.0,
        power_w=[offer["power_w"]] * days,
        downlink_mbit=[offer["downlink_mbit_per_day"]] * days,
        crew_h=[offer["crew_h_per_day"]] * days,
        robot_h=[offer["robot_h_per_day"]] * days,
        data_buffer_gbit=offer["data_buffer_gbit"],
        windows=windows,
    )
    return SchedulingProblem(partners=partners, requests=tuple(requests), resources=resources)


def schedule(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """Schedule the portal's open requests with CP-SAT (see :func:`scheduling_problem`).

    The document holds ``starts`` (request id -> UTC start, or None), ``rejections`` (request
    id -> ``{field, reason}`` for requests that cannot be scheduled at all), the library's
    ``schedule`` and the ``problem`` it solved (for :func:`moonbase.science.check_schedule`).
    """
    from datetime import datetime

    from moonbase.science import SchedulerConfig, build_instance, schedule_cpsat

    time_limit_s = _number(params, "time_limit_s", 10.0, 1.0, 600.0)
    workers = int(_number(params, "workers", 2, 1, 16))
    if not params.get("requests"):
        progress(1.0, "no open requests")
        return {"summary": {"requests": 0, "scheduled": 0, "rejected": 0}, "starts": {}}
    progress(0.05, "building the scheduling problem")
    problem = scheduling_problem(params)
    instance = build_instance(problem)
    progress(0.2, f"scheduling {instance.n_jobs} runs (CP-SAT, up to {time_limit_s:g} s)")
    result = schedule_cpsat(instance, SchedulerConfig(time_limit_s=time_limit_s, workers=workers))
    starts: dict[str, str | None] = {q.id: None for q in problem.requests}
    for a in result.assignments:
        if a.repeat == 0:
            start = datetime.fromisoformat(a.start_utc.replace("Z", "+00:00"))
            starts[a.request_id] = start.isoformat()
    # The scheduler names a request's day window ``request:<id>``; a partner knows it by dates.
    days = {str(r["id"]): f"{r['earliest']}..{r['latest']}" for r in params["requests"]}
    rejections = {
        r.request_id: {
            "field": r.field,
            "reason": r.reason.replace(
                repr(request_window(r.request_id)), repr(days.get(r.request_id, r.request_id))
            ),
        }
        for r in result.rejections
    }
    summary = {
        "requests": len(problem.requests),
        "scheduled": sum(v is not None for v in starts.values()),
        "rejected": len(rejections),
        "solver": result.solver,
        "status": result.status,
        "value": float(result.value),
        "bound": None if result.bound is None else float(result.bound),
        "wall_s": float(result.wall_s),
        "start": problem.resources.start_utc,
        "days": problem.resources.n_buckets,
    }
    progress(1.0, "done")
    return {
        "summary": summary,
        "starts": starts,
        "rejections": rejections,
        "schedule": result.model_dump(mode="json"),
        "problem": problem.model_dump(mode="json"),
    }
