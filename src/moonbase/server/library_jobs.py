"""Adapters from the registry's job signature ``fn(params, progress, checkpoint)`` to the
library stages, used by the portal when the stage is installed.

* ``optimise``: :func:`moonbase.campaign.optimise_campaign` on the job's scenario (or the built-in
  ILRS reference scenario); the document holds the flights (for
  :func:`moonbase.campaign.check_plan`), a Gantt task per flown element and the objective values
  against CP-SAT's bound.
* ``simulate``: :func:`moonbase.systems.simulate_station` on the reference station with
  flat-horizon drivers at a site; the document holds the KPIs and hourly power and data series.

``schedule`` has no adapter yet (the science scheduler needs categories, window calendars and
per-bucket resources that portal requests do not carry), so the portal's greedy stand-in runs.
Library calls are not interruptible: a cancel takes effect at the next progress report.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from moonbase.errors import InputError

__all__ = ["available", "optimise", "simulate"]

_ENTRY = {
    "optimise": ("moonbase.campaign", "optimise_campaign"),
    "simulate": ("moonbase.systems", "simulate_station"),
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
