"""Independent schedule checker: every resource, window and precedence rule, from the raw inputs.

It reads only the :class:`SchedulingProblem` (requests in their API units, the station's
series) and the schedule's assignments, and recomputes usage bucket by bucket in plain Python
with floats (with a data buffer, its level bucket by bucket). It shares no code with the model
builders, so a bug in :mod:`moonbase.science.instance` or in a solver shows up as a violation
here.
"""

from __future__ import annotations

import math

from moonbase.science.models import SchedulingProblem
from moonbase.science.solution import Schedule

__all__ = ["check_schedule"]

_TOL = 1e-6


def check_schedule(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    """All violations of ``schedule`` against ``problem``, as sentences (empty when valid)."""
    res = problem.resources
    hours = float(res.bucket_hours)
    n = len(res.power_w)
    requests = {}
    for q in problem.requests:
        requests.setdefault(q.id, q)  # a later duplicate id is rejected, the first one stands
    partners = {p.id for p in problem.partners}
    rejected = {r.request_id for r in schedule.rejections if r.field != "id"}
    problems: list[str] = []
    runs: dict[tuple[str, int], tuple[int, int]] = {}
    usage = {
        name: [0.0] * n
        for name in (
            "power_w",
            "downlink_mbit",
            "crew_time_h",
            "robot_time_h",
            "payload_mass_kg",
            "payload_volume_m3",
        )
    }
    for a in schedule.assignments:
        q = requests.get(a.request_id)
        label = f"{a.request_id} run {a.repeat}"
        if q is None:
            problems.append(f"{label}: no such request")
            continue
        if q.partner not in partners or a.partner != q.partner:
            problems.append(f"{label}: partner {a.partner!r} is not the request's known partner")
        if a.request_id in rejected:
            problems.append(f"{label}: the request was rejected yet is scheduled")
        if not 0 <= a.repeat < q.repeats:
            problems.append(f"{label}: run index outside 0..{q.repeats - 1}")
        if (a.request_id, a.repeat) in runs:
            problems.append(f"{label}: scheduled twice")
        n_buckets = math.ceil(q.duration_h / hours - 1e-9)
        if a.duration_buckets * hours < q.duration_h - _TOL:
            problems.append(f"{label}: {a.duration_buckets} buckets are shorter than the run")
        start, end = a.start_bucket, a.start_bucket + max(n_buckets, a.duration_buckets)
        runs[(a.request_id, a.repeat)] = (start, end)
        if start < 0 or end > n:
            problems.append(f"{label}: buckets {start}..{end - 1} leave the campaign 0..{n - 1}")
            continue
        length = end - start
        for bucket in range(start, end):
            for window in q.windows:
                if window not in res.windows or not res.windows[window][bucket]:
                    problems.append(f"{label}: window {window!r} closed in bucket {bucket}")
            usage["power_w"][bucket] += q.power_w
            usage["downlink_mbit"][bucket] += q.data_volume_gbit * 1000.0 / length
            usage["crew_time_h"][bucket] += q.crew_time_h / length
            usage["robot_time_h"][bucket] += q.robot_time_h / length
            usage["payload_mass_kg"][bucket] += q.mass_kg
            usage["payload_volume_m3"][bucket] += q.volume_m3
    buffer_mbit = res.data_buffer_gbit * 1000.0
    for name, used in usage.items():
        capacity = getattr(res, name)
        if capacity is None:
            continue
        if name == "downlink_mbit" and buffer_mbit > 0:
            problems += _buffer_overflows(used, capacity, buffer_mbit)
            continue
        for bucket in range(n):
            if used[bucket] > capacity[bucket] * (1 + 1e-9) + _TOL:
                problems.append(
                    f"{name}: bucket {bucket} uses {used[bucket]:g}, capacity {capacity[bucket]:g}"
                )
    for (rid, k), (start, _end) in runs.items():
        q = requests.get(rid)
        if q is None:
            continue
        if k > 0:
            before = runs.get((rid, k - 1))
            if before is None:
                problems.append(f"{rid} run {k}: scheduled without run {k - 1}")
            elif (start - before[1]) * hours < q.repeat_gap_h - _TOL:
                problems.append(
                    f"{rid} run {k}: starts {(start - before[1]) * hours:g} h after run {k - 1} "
                    f"ends; needs {q.repeat_gap_h:g} h"
                )
        if k == 0:
            for dep in q.depends_on:
                first = runs.get((dep, 0))
                if first is None:
                    problems.append(f"{rid}: scheduled although its dependency {dep} is not")
                elif start < first[1]:
                    problems.append(f"{rid}: starts in bucket {start} before {dep} ends")
    return problems


def _buffer_overflows(made: list[float], downlink: list[float], buffer_mbit: float) -> list[str]:
    """Buckets where the data waiting for the downlink exceed the buffer."""
    problems, level = [], 0.0
    for bucket, (new, sent) in enumerate(zip(made, downlink, strict=True)):
        level = max(0.0, level + new - sent)
        if level > buffer_mbit * (1 + 1e-9) + _TOL:
            problems.append(
                f"downlink_mbit: bucket {bucket} leaves {level:g} Mbit waiting, more than the "
                f"{buffer_mbit:g} Mbit data buffer"
            )
            level = buffer_mbit
    return problems
