"""An independent plan checker: every constraint of the campaign, written directly on the plan.

It shares no code with the CP-SAT model or the greedy planner (only the instance's plain
helpers for masses, windows and bucket lengths), so a plan that passes here is feasible by the
rules as stated in :mod:`moonbase.campaign.model`, whoever produced it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from moonbase.campaign.model import CampaignInstance
from moonbase.campaign.plan import CampaignPlan

__all__ = ["check_plan"]


def check_plan(instance: CampaignInstance, plan: CampaignPlan) -> list[str]:
    """All constraint violations of ``plan`` as readable lines (empty list: feasible)."""
    problems: list[str] = []
    known = {e.id: e for e in instance.elements}
    launchers = {launcher.id: launcher for launcher in instance.launchers}
    years = instance.bucket_years()
    allowed = instance.landing_allowed()
    windows = {name: instance.launcher_window(launcher) for name, launcher in launchers.items()}

    # each element at most once, required ones exactly once, no already-operating ones
    seen = Counter(i for f in plan.flights for i in f.elements)
    for element_id, count in seen.items():
        if element_id not in known:
            problems.append(f"unknown element {element_id!r} on a flight")
        elif count > 1:
            problems.append(f"element {element_id!r} is on {count} flights")
        elif known[element_id].operating_from is not None:
            problems.append(f"element {element_id!r} already operates but is flown again")
    for e in instance.scheduled():
        if e.required and e.id not in seen:
            problems.append(f"required element {e.id!r} is not flown")

    # flights: launcher, window, capacity, co-manifesting, daylight
    per_launcher: dict[str, list[int]] = defaultdict(list)
    indices: dict[str, list[int]] = defaultdict(list)
    for f in plan.flights:
        launcher = launchers.get(f.launcher)
        if launcher is None:
            problems.append(f"flight on unknown launcher {f.launcher!r}")
            continue
        per_launcher[f.launcher].append(f.bucket)
        indices[f.launcher].append(f.index)
        name = f"{f.launcher}#{f.index + 1} (bucket {f.bucket})"
        if not f.elements:
            problems.append(f"flight {name} carries nothing")
        first, last = windows[f.launcher]
        if not first <= f.bucket <= last:
            problems.append(f"flight {name} outside launcher window {first}..{last}")
        mass = 0.0
        for element_id in f.elements:
            e = known.get(element_id)
            if e is None:
                continue
            if e.allowed_launchers and f.launcher not in e.allowed_launchers:
                problems.append(f"element {e.id!r} may not fly on {f.launcher}")
            mass += instance.mass_tli_kg(e, launcher)
            if e.lands and not allowed[min(f.bucket, len(allowed) - 1)]:
                problems.append(f"element {e.id!r} lands in bucket {f.bucket} without daylight")
        if mass > launcher.capacity_tli_kg * (1 + 1e-9) + 1.0:
            problems.append(
                f"flight {name} carries {mass:.0f} kg > capacity {launcher.capacity_tli_kg:.0f} kg"
            )
        if not instance.config.co_manifesting and len(f.elements) > 1:
            problems.append(f"flight {name} co-manifests {len(f.elements)} elements")

    # cadence: one launch per launcher per bucket, at most cadence per calendar year, slot count
    for launcher_id, buckets in per_launcher.items():
        launcher = launchers[launcher_id]
        for bucket, count in Counter(buckets).items():
            if count > 1:
                problems.append(f"launcher {launcher_id} flies {count} times in bucket {bucket}")
        for year, count in Counter(int(years[b]) for b in buckets if 0 <= b < len(years)).items():
            if count > launcher.cadence_per_year:
                problems.append(
                    f"launcher {launcher_id} flies {count} times in {year} "
                    f"> cadence {launcher.cadence_per_year}/yr"
                )
        if launcher.max_flights is not None and len(buckets) > launcher.max_flights:
            problems.append(f"launcher {launcher_id} flies {len(buckets)} > {launcher.max_flights}")
        if len(set(indices[launcher_id])) != len(indices[launcher_id]):
            problems.append(f"launcher {launcher_id} reuses a flight number")

    # element dates, precedence, capability needs
    launch = {i: f.bucket for f in plan.flights for i in f.elements}
    ready: dict[str, int] = {}
    for e in instance.elements:
        if e.operating_from is not None:
            ready[e.id] = instance.bucket_of(e.operating_from)
        elif e.id in launch:
            ready[e.id] = launch[e.id] + instance.lag_buckets(e)
    for e in instance.scheduled():
        if e.id not in launch:
            continue
        b = launch[e.id]
        if e.earliest_launch is not None and b < instance.first_bucket_from(e.earliest_launch):
            problems.append(f"element {e.id!r} launches in bucket {b} before its earliest date")
        if e.latest_launch is not None and b > instance.bucket_of(e.latest_launch):
            problems.append(f"element {e.id!r} launches in bucket {b} after its latest date")
        for other in e.requires:
            if other not in ready:
                problems.append(f"element {e.id!r} flies but {other!r} it requires does not")
            elif ready[other] > b:
                problems.append(
                    f"element {e.id!r} launches in bucket {b} before {other!r} operates "
                    f"(bucket {ready[other]})"
                )
        for tag in e.needs:
            providers = [
                ready[p.id] for p in instance.elements if tag in p.provides and p.id in ready
            ]
            if not providers or min(providers) > b:
                problems.append(f"element {e.id!r} launches in bucket {b} before any {tag!r}")

    # partner budgets per calendar year
    budgets = instance.budgets()
    spend: dict[tuple[str, int], float] = defaultdict(float)
    for f in plan.flights:
        if f.launcher not in launchers or not 0 <= f.bucket < len(years):
            continue
        year = int(years[f.bucket])
        launcher = launchers[f.launcher]
        spend[(launcher.partner, year)] += launcher.cost_musd
        for element_id in f.elements:
            if element_id in known:
                spend[(known[element_id].partner, year)] += known[element_id].cost_musd
    for (partner, year), amount in sorted(spend.items()):
        if partner in budgets and amount > budgets[partner] * (1 + 1e-9) + 1e-3:
            problems.append(
                f"partner {partner} spends {amount:.1f} MUSD in {year} > budget {budgets[partner]:.1f}"
            )
    return problems
