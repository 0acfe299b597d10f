"""The portal's jobs, in the registry's signature ``fn(params, progress, checkpoint)``: the plan that
the rest of moonbase makes, on the partners' stored scenario.

* ``optimise``: :func:`moonbase.plan` on the job's scenario (else the built-in ILRS reference)
  and the server's site terrain (the packaged real DEM with the far field unless the server was
  started with another, ``Settings.terrain``). The document holds :meth:`moonbase.spine.Plan.summary`
  (``summary.json``'s dict), the campaign's flights as Gantt tasks, the site stage's map, and the
  resources the plan's station offers science (:func:`station_offer`), which schedule jobs use.
* ``simulate``: the station systems twin (:func:`moonbase.systems.simulate_station`) at the
  scenario's site (or ``latitude_deg``/``longitude_deg``), its Sun and Earth from the site's
  terrain horizon (the server's terrain), hour by hour over ``start..stop``. The horizon is
  checkpointed: a job that restarts goes on from it.
* ``schedule``: the portal's open requests scheduled with CP-SAT on the resources a plan's
  station offers (``params["plan_id"]``, else the newest plan; :func:`scheduling_problem`).

Library calls are not interruptible: a cancel takes effect at the next progress report.
"""

from __future__ import annotations

import json
from typing import Any

from moonbase.errors import InputError

__all__ = ["optimise", "schedule", "scheduling_problem", "simulate", "station_offer"]

#: Fraction of a plan job done as each stage of :func:`moonbase.plan` starts.
PLAN_STAGES = {
    "site": 0.05,
    "campaign": 0.4,
    "systems": 0.55,
    "closure": 0.6,
    "science": 0.75,
    "systems with science": 0.9,
}
#: Largest site map side the plan document keeps (cells; the map is strided down to it).
MAP_CELLS = 64


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
        return builtin_scenario("ilrs-reference")
    return Scenario.model_validate_json(json.dumps(document))


def _terrain(params: dict):
    """The server's site terrain (``params["site_terrain"]``, set by the runner, never by a
    client): keyword arguments of :func:`moonbase.site.stage.site_terrain`."""
    from moonbase.site.stage import site_terrain

    spec = dict(params.get("site_terrain") or {})
    if spec.get("corner_xy_m") is not None:
        spec["corner_xy_m"] = tuple(spec["corner_xy_m"])
    return site_terrain(**spec)


def station_offer(plan) -> Any:
    """What the plan's station offers science, per day: the
    :class:`~moonbase.science.StationResources` that the plan's science stage scheduled on.

    Read from the closed station's twin before science is on board
    (:func:`moonbase.science.adapters.resources_from_systems`: curtailed surplus power, the
    downlink the terminals and relays leave after housekeeping, crew and robot hours, the cell's
    sunlit, dark and Earth windows, the terminals' buffer), with an ``element:<id>`` window per
    element opening on the day the campaign has it operate.
    """
    from moonbase.science.adapters import resources_from_systems, with_element_windows

    station = plan.systems_before_science or plan.systems
    resources = resources_from_systems(station.simulation)
    return with_element_windows(resources, plan.scenario, plan.campaign.arrivals())


def _tasks(plan) -> list[dict]:
    table = plan.campaign.result.table()
    tasks = []
    for row in table.to_dict("records"):
        launch, operating = row.get("launch_date"), row.get("operating_date")
        if row.get("launcher") is None or launch is None or launch != launch:
            continue
        tasks.append(
            {
                "element": str(row["element"]),
                "partner": str(row["partner"]),
                "launcher": str(row["launcher"]),
                "start": launch.date().isoformat(),
                "finish": (operating if operating == operating else launch).date().isoformat(),
                "mass_kg": float(row["landed_mass_kg"]),
            }
        )
    return tasks


def _site_map(plan) -> dict:
    import numpy as np

    site_map = plan.site.map
    lit = np.asarray(site_map.lit_percent, float)
    stride = max(1, int(np.ceil(max(lit.shape) / MAP_CELLS)))
    return {
        "x_km": np.asarray(site_map.x_km, float)[::stride].round(3).tolist(),
        "y_km": np.asarray(site_map.y_km, float)[::stride].round(3).tolist(),
        "sunlit_fraction": (lit[::stride, ::stride] / 100.0).round(4).tolist(),
        "station_latitude_deg": plan.site.latitude_deg,
        "station_longitude_deg": plan.site.longitude_deg,
    }


def optimise(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """The plan of the job's scenario (:func:`moonbase.plan`; see the module docstring).

    ``params``: ``as_of`` (YYYY-MM-DD; default today, which must lie in the campaign),
    ``risk_runs`` (default 1000), ``campaign_time_limit_s`` (20), ``science_time_limit_s`` (10),
    ``close`` (true: the closure step sizes what the station needs to survive).
    """
    import moonbase

    risk_runs = int(_number(params, "risk_runs", 1000, 1, 10_000))
    campaign_s = _number(params, "campaign_time_limit_s", 20.0, 1.0, 600.0)
    science_s = _number(params, "science_time_limit_s", 10.0, 1.0, 600.0)
    close = params.get("close", True)
    if not isinstance(close, bool):
        raise InputError("close must be true or false", field="params.close")
    as_of = params.get("as_of")
    if as_of is not None and not isinstance(as_of, str):
        raise InputError("as_of must be a date YYYY-MM-DD", field="params.as_of")
    progress(0.01, "reading the scenario and the terrain")
    scenario = _scenario(params)
    terrain = _terrain(params)
    done = [0.02]

    def say(stage: str) -> None:
        done[0] = max(done[0], PLAN_STAGES.get(stage, done[0]))
        progress(done[0], f"plan: {stage}")

    plan = moonbase.plan(
        scenario,
        as_of=as_of,
        terrain=terrain,
        risk_runs=risk_runs,
        risk_workers=0,
        campaign_time_limit_s=campaign_s,
        science_time_limit_s=science_s,
        close=close,
        progress=say,
    )
    progress(0.97, "storing the plan")
    return {
        "summary": plan.summary(),
        "tasks": _tasks(plan),
        "site_map": _site_map(plan),
        "resources": station_offer(plan).model_dump(mode="json"),
    }


def simulate(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """The station twin at the site, on the site's terrain horizon (module docstring).

    ``params``: ``start``/``stop`` (UTC dates, 1 h to 2 years apart; default one month from
    2031-01-01), ``latitude_deg``/``longitude_deg`` (default: the scenario's site, else the
    ILRS reference site), ``height_m`` (arrays and antennas above ground, 2), ``crew`` (4),
    ``n_science`` (science loads of the reference station, 2). The checkpoint is the horizon.
    """
    import numpy as np
    import pandas as pd

    from moonbase.site.series import site_summary
    from moonbase.systems import drivers_from_site_series, reference_station, simulate_station

    site = _scenario(params).site if params.get("scenario") is not None else None
    latitude = _number(params, "latitude_deg", site.latitude_deg if site else -89.45, -90.0, 90.0)
    longitude = _number(
        params, "longitude_deg", site.longitude_deg if site else 222.69, -360.0, 360.0
    )
    height_m = _number(params, "height_m", 2.0, 0.0, 100.0)
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
    if checkpoint and checkpoint.get("stage") == "horizon":
        horizon, ground_m, source = (
            checkpoint["horizon_deg"],
            checkpoint["ground_m"],
            checkpoint["source"],
        )
        resumed = "horizon"
    else:
        from moonbase.site.terrain_link import point_horizon_and_ground

        progress(0.05, "the site's terrain horizon")
        terrain = _terrain(params)
        if not terrain.covers(latitude, longitude):
            raise InputError(
                f"the site {latitude:g}, {longitude:g} is not on the server's terrain "
                f"({terrain.source})",
                field="params.latitude_deg",
                hint="choose a site on the terrain",
            )
        horizon, ground_m, source = point_horizon_and_ground(
            terrain.inner, latitude, longitude, height_m, 360, outer=terrain.outer
        )
        horizon = np.asarray(horizon, float).round(9).tolist()
        source = f"{terrain.describe()} (horizon at the point)"
        resumed = None
        progress(
            0.4,
            "horizon done",
            {"stage": "horizon", "horizon_deg": horizon, "ground_m": ground_m, "source": source},
        )
    progress(0.45, "sun and earth at the site")
    summary_site = site_summary(
        latitude,
        longitude,
        start.isoformat(),
        stop.isoformat(),
        "1h",
        height_above_ground_m=height_m,
        horizon_deg=np.asarray(horizon, float),
        ground_m=float(ground_m),
        source=source,
    )
    drivers = drivers_from_site_series(summary_site.series, crew=crew)
    progress(0.6, "simulating the station")
    result = simulate_station(reference_station(n_science=n_science), drivers)
    arrays = result.arrays
    served = np.asarray(arrays["served_w"], float)
    delivered_gb = np.cumsum(np.asarray(arrays["data_delivered_gbit"], float)) / 8.0
    summary: dict[str, Any] = {k: float(v) for k, v in result.kpis.items()}
    summary.update(
        mean_power_w=float(served.mean()),
        lit_percent=float(summary_site.lit_percent),
        earth_visible_percent=float(summary_site.earth_visible_percent),
        longest_dark_hours=float(summary_site.longest_dark_hours),
        latitude_deg=latitude,
        longitude_deg=longitude,
        ground_m=float(ground_m),
        terrain=source,
        resumed_from=resumed,
    )
    return {
        "summary": summary,
        "horizon_deg": horizon,
        "series": {
            "hour": list(range(served.size)),
            "utc": [t.isoformat() for t in pd.DatetimeIndex(drivers.times_utc)],
            "power_w": served.round(3).tolist(),
            "pv_w": np.asarray(arrays["pv_w"], float).round(3).tolist(),
            "demand_w": np.asarray(arrays["demand_w"], float).round(3).tolist(),
            "sun_fraction": np.asarray(drivers.sun_fraction, float).round(6).tolist(),
            "data_gb": delivered_gb.round(6).tolist(),
        },
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
    """The :class:`moonbase.science.SchedulingProblem` of the portal's requests on a plan's station.

    ``params["plan"]`` is the plan (its stored ``resources``: :func:`station_offer`, one bucket
    per UTC day). The horizon runs from ``params["start"]`` (default: the earliest ``earliest``)
    to ``params["stop"]`` (exclusive; default: the day after the latest ``latest``), cut to the
    plan's days and to at most :data:`MAX_HORIZON_DAYS`. Each portal request ``{id, partner_id,
    duration_h, power_w, data_gb, earliest, latest, priority, needs_sunlight, category}`` becomes
    an :class:`~moonbase.science.ExperimentRequest` with

    * the window ``request:<id>``, open on the days ``earliest..latest`` (a run must lie wholly
      inside them), plus the plan's ``sunlit`` window (the station cell's terrain horizon) when
      it needs sunlight;
    * ``data_volume_gbit = 8 * data_gb``; science priority ``6 - priority`` (the portal's 1 is
      the highest, the scheduler weighs higher numbers more); the request's ``category``.

    The station's power, downlink, crew and robot time, buffer and windows are the plan's for
    those days. Partners are those of the requests, without entitlements.
    """
    from datetime import date, timedelta

    from moonbase.science import Category, ExperimentRequest, Partner, SchedulingProblem
    from moonbase.science.models import StationResources

    plan = params.get("plan")
    if not plan or not plan.get("resources"):
        raise InputError(
            "there is no plan to schedule on",
            field="params.plan_id",
            hint="run a plan (an optimise job) first, or give the id of one",
        )
    offer = StationResources.model_validate(plan["resources"])
    rows = params.get("requests") or []
    if not rows:
        raise InputError("there are no open requests to schedule", field="requests")
    first_day = date.fromisoformat(offer.start_utc[:10])
    if abs(offer.bucket_hours - 24.0) > 1e-9:
        raise InputError("the plan's resources are not daily", field="params.plan_id")
    last_day = first_day + timedelta(days=offer.n_buckets)  # exclusive
    earliest = [_day(r["earliest"], "earliest") for r in rows]
    latest = [_day(r["latest"], "latest") for r in rows]
    start = _day(params["start"], "start") if params.get("start") else min(earliest)
    stop = _day(params["stop"], "stop") if params.get("stop") else max(latest) + timedelta(days=1)
    start, stop = max(start, first_day), min(stop, last_day)
    stop = min(stop, start + timedelta(days=MAX_HORIZON_DAYS))
    days = (stop - start).days
    if days < 1:
        raise InputError(
            f"the requests ({min(earliest)}..{max(latest)}) lie outside the plan's days "
            f"({first_day}..{last_day - timedelta(days=1)})",
            field="params.plan_id",
            hint="schedule on a plan that covers the requests' dates",
        )
    lo = (start - first_day).days
    cut = slice(lo, lo + days)

    def part(values):
        return None if values is None else list(values)[cut]

    windows = {name: list(flags)[cut] for name, flags in offer.windows.items()}
    requests = []
    for row, w0, w1 in zip(rows, earliest, latest, strict=True):
        rid = str(row["id"])
        first, last = (w0 - start).days, (w1 - start).days
        windows[request_window(rid)] = [first <= i <= last for i in range(days)]
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
    values = offer.model_dump()
    for key, value in values.items():
        if isinstance(value, list) and len(value) == offer.n_buckets:
            values[key] = part(value)
    values.update(start_utc=f"{start.isoformat()}T00:00:00", windows=windows)
    resources = StationResources.model_validate(values)
    partners = tuple(Partner(id=pid) for pid in sorted({q.partner for q in requests}))
    return SchedulingProblem(partners=partners, requests=tuple(requests), resources=resources)


def schedule(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """Schedule the portal's open requests with CP-SAT on a plan's station (:func:`scheduling_problem`).

    The document holds ``starts`` (request id -> UTC start, or None), ``rejections`` (request
    id -> ``{field, reason}`` for requests that cannot be scheduled at all), the library's
    ``schedule``, the ``problem`` it solved (for :func:`moonbase.science.check_schedule`) and
    the plan's id.
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
        "plan_id": params["plan"]["id"],
    }
    progress(1.0, "done")
    return {
        "summary": summary,
        "starts": starts,
        "rejections": rejections,
        "schedule": result.model_dump(mode="json"),
        "problem": problem.model_dump(mode="json"),
    }
