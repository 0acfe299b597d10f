"""Small stand-in job functions with the registry's signature, for tests of the job machinery
(queueing, cancels, checkpoints, crashes, restarts), where the library's plan would be slow.

Each takes ``(params, progress, checkpoint)`` and returns a JSON-able document. ``progress(f,
message, checkpoint=None)`` records progress in the database and raises
:class:`moonbase.server.jobs.JobCancelled` when a cancel was asked for. The documents have the
shapes the dashboard draws (Gantt tasks, a site map, power and data series, a schedule) but
their numbers are simple, stated formulas, not the library's models.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime, timedelta

from moonbase.errors import InputError

__all__ = ["crash", "optimise", "schedule", "simulate"]


def _bounded(params: dict, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(params.get(name, default))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number", field=f"params.{name}") from None
    if not low <= value <= high:
        raise InputError(f"{name}={value:g} is outside {low:g}..{high:g}", field=f"params.{name}")
    return value


def optimise(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """A campaign plan: ``params["elements"]`` (default 6) flights, one per ``cadence_days``."""
    n = int(_bounded(params, "elements", 6, 1, 200))
    cadence = _bounded(params, "cadence_days", 180.0, 1.0, 3650.0)
    try:
        start = date.fromisoformat(str(params.get("start", "2030-01-01")))
    except ValueError:
        raise InputError("start must be a date YYYY-MM-DD", field="params.start") from None
    partners = params.get("partners", ["CNSA", "ROSCOSMOS"])
    if not isinstance(partners, list) or not partners:
        raise InputError("partners must be a non-empty list", field="params.partners")
    tasks = []
    for i in range(n):
        launch = start + timedelta(days=cadence * i)
        tasks.append(
            {
                "element": f"E{i + 1}",
                "partner": str(partners[i % len(partners)]),
                "start": launch.isoformat(),
                "finish": (launch + timedelta(days=cadence * 0.8)).isoformat(),
                "mass_kg": 2000.0 + 250.0 * i,
            }
        )
        progress((i + 1) / n, f"placed element {i + 1} of {n}")
    # A small site map: sunlit fraction on a cone (higher towards the rim), 21 x 21 cells.
    size = 21
    grid = [
        [
            round(0.5 + 0.45 * math.exp(-((x - 10) ** 2 + (y - 10) ** 2) / 40.0), 4)
            for x in range(size)
        ]
        for y in range(size)
    ]
    site = {
        "x_km": [-5 + 0.5 * i for i in range(size)],
        "y_km": [-5 + 0.5 * i for i in range(size)],
    }
    return {
        "summary": {"flights": n, "makespan_days": cadence * (n - 1) + cadence * 0.8},
        "tasks": tasks,
        "site_map": {**site, "sunlit_fraction": grid},
    }


def simulate(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """An hour-step power and data series over ``params["hours"]`` (default 720) in
    ``params["chunks"]`` chunks, resuming from the last checkpointed chunk after a restart.
    """
    hours = int(_bounded(params, "hours", 720, 1, 100_000))
    chunks = int(_bounded(params, "chunks", 4, 1, 1000))
    delay_s = _bounded(params, "delay_s", 0.0, 0.0, 10.0)
    done = int(checkpoint["chunk"]) if checkpoint else 0
    power: list[float] = list(checkpoint["power_w"]) if checkpoint else []
    step = math.ceil(hours / chunks)
    for chunk in range(done, chunks):
        lo, hi = chunk * step, min(hours, (chunk + 1) * step)
        # Solar array over one synodic month, with a fission floor of 10 kW.
        power.extend(
            10000.0 + 30000.0 * max(0.0, math.sin(2 * math.pi * h / (29.53 * 24)))
            for h in range(lo, hi)
        )
        time.sleep(delay_s)
        progress(
            (chunk + 1) / chunks,
            f"chunk {chunk + 1} of {chunks}",
            {"chunk": chunk + 1, "power_w": power},
        )
    data = [round(0.05 * h, 3) for h in range(hours)]
    return {
        "summary": {"hours": hours, "resumed_from_chunk": done, "mean_power_w": sum(power) / hours},
        "series": {"hour": list(range(hours)), "power_w": power, "data_gb": data},
    }


def schedule(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """Greedy schedule of ``params["requests"]``: by priority then earliest date, each at the
    first free hour in its window on one shared instrument timeline. Returns the start (or None)
    of every request.
    """
    requests = sorted(
        params.get("requests", []), key=lambda r: (r["priority"], r["earliest"], r["id"])
    )
    busy: list[tuple[datetime, datetime]] = []
    starts: dict[str, str | None] = {}
    for i, req in enumerate(requests):
        start = datetime.combine(date.fromisoformat(req["earliest"]), datetime.min.time(), UTC)
        end_limit = datetime.combine(date.fromisoformat(req["latest"]), datetime.min.time(), UTC)
        end_limit += timedelta(days=1)
        length = timedelta(hours=float(req["duration_h"]))
        for b0, b1 in sorted(busy):
            if start + length <= b0:
                break
            start = max(start, b1)
        if start + length <= end_limit:
            busy.append((start, start + length))
            starts[str(req["id"])] = start.isoformat()
        else:
            starts[str(req["id"])] = None
        progress((i + 1) / max(1, len(requests)), f"placed {i + 1} of {len(requests)}")
    placed = sum(v is not None for v in starts.values())
    return {"summary": {"requests": len(requests), "scheduled": placed}, "starts": starts}


def crash(params: dict, progress, checkpoint: dict | None = None) -> dict:
    """Kill the worker process outright (as the kernel's out-of-memory killer would): used to
    test that the runner records the failure and replaces its pool.
    """
    import os

    progress(0.5, "about to die")
    os._exit(3)
