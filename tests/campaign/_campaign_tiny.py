"""Tiny campaign instances and a brute-force enumerator for the campaign tests.

The enumerator shares no code with the CP-SAT model or the greedy planner: it lists every
assignment of each element to (launcher, bucket) or to "not flown", groups elements with the
same (launcher, bucket) into one flight, and keeps the plans the independent checker accepts.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date

from moonbase.campaign import (
    CampaignConfig,
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
    CampaignPlan,
    Flight,
    bucket_starts,
    check_plan,
    plan_objectives,
)

SENSE = {
    "earliest_basic_model": 1,
    "max_capability_by_date": -1,
    "least_cost": 1,
    "earliest_launches": 1,
}


def tiny_instance(**config) -> CampaignInstance:
    """4 elements, 2 launchers, 6 quarterly buckets (2030-01 .. 2031-06), daylight gaps, budget.

    Landed fraction 1 so TLI mass = landed mass. Commissioning 30 d -> 1 bucket.
    """
    starts = bucket_starts(date(2030, 1, 1), date(2031, 7, 1), "quarter")
    return CampaignInstance(
        name="tiny",
        elements=[
            CampaignElement(
                id="A",
                partner="P1",
                landed_mass_kg=2000,
                provides=["power"],
                basic_model=True,
                cost_musd=50,
                value=2,
            ),
            CampaignElement(
                id="B",
                partner="P2",
                landed_mass_kg=2500,
                needs=["power"],
                basic_model=True,
                cost_musd=80,
                value=2,
            ),
            CampaignElement(
                id="C", partner="P2", landed_mass_kg=900, requires=["A"], cost_musd=20, value=3
            ),
            CampaignElement(
                id="D", partner="P1", landed_mass_kg=6000, required=False, cost_musd=200, value=5
            ),
        ],
        launchers=[
            CampaignLauncher(
                id="S",
                partner="P1",
                capacity_tli_kg=3000,
                landed_fraction=1.0,
                cadence_per_year=1,
                available_from=date(2030, 1, 1),
                cost_musd=100,
            ),
            CampaignLauncher(
                id="H",
                partner="P2",
                capacity_tli_kg=10000,
                landed_fraction=1.0,
                cadence_per_year=2,
                available_from=date(2030, 7, 1),
                cost_musd=300,
            ),
        ],
        partners=[CampaignPartner(id="P1", budget_musd_per_year=450), CampaignPartner(id="P2")],
        bucket_starts=starts,
        daylight_fraction=[0.0, 1.0, 0.9, 0.2, 1.0, 0.6],
        config=CampaignConfig(**config),
    )


def all_plans(instance: CampaignInstance):
    """Every plan (feasible or not) of ``instance``: yields CampaignPlan objects."""
    elements = instance.scheduled()
    options = [(lch.id, b) for lch in instance.launchers for b in range(instance.n_buckets)]
    choices = [options + ([None] if not e.required else []) for e in elements]
    for combo in itertools.product(*choices):
        groups = defaultdict(list)
        for e, choice in zip(elements, combo, strict=True):
            if choice is not None:
                groups[choice].append(e.id)
        flights = []
        for lch in instance.launchers:
            own = sorted(b for (name, b) in groups if name == lch.id)
            flights += [
                Flight(launcher=lch.id, index=k, bucket=b, elements=groups[lch.id, b])
                for k, b in enumerate(own)
            ]
        yield CampaignPlan(flights=flights)


def brute_force_optimum(instance: CampaignInstance, objectives: list[str]):
    """Lexicographic optimum over all feasible plans: (key tuple, one optimal plan, n feasible)."""
    best, best_plan, feasible = None, None, 0
    for plan in all_plans(instance):
        if check_plan(instance, plan):
            continue
        feasible += 1
        values = plan_objectives(instance, plan)
        key = tuple(SENSE[n] * values[n] for n in objectives)
        if best is None or key < best:
            best, best_plan = key, plan
    return best, best_plan, feasible
