"""Greedy list scheduling: the baseline plan, and the optimiser's starting hint.

Repeatedly take, among elements whose prerequisites are placed, the one that could fly earliest
(basic-model elements, then heavier ones, first on ties) and put it on the earliest feasible
flight: an existing flight with room (co-manifesting), else a new launch of the cheapest
launcher that can carry it in that bucket. Every rule of :mod:`moonbase.campaign.model` is
respected (capacity, cadence, window, daylight, dates, budgets); an element that fits nowhere
is left unflown.
"""

from __future__ import annotations

import math
from collections import defaultdict

from moonbase.campaign.model import CampaignElement, CampaignInstance, CampaignLauncher
from moonbase.campaign.plan import CampaignPlan, Flight

__all__ = ["greedy_plan"]


class _State:
    def __init__(self, instance: CampaignInstance):
        self.instance = instance
        self.years = instance.bucket_years()
        self.allowed = instance.landing_allowed()
        self.budgets = instance.budgets()
        self.spend: dict[tuple[str, int], float] = defaultdict(float)
        self.flights: list[dict] = []  # launcher, bucket, elements, mass
        self.by_launcher: dict[str, set[int]] = defaultdict(set)
        self.slots = defaultdict(int)
        for launcher_id, _ in instance.flight_slots():
            self.slots[launcher_id] += 1

    def budget_ok(self, charges: dict[str, float], year: int) -> bool:
        for partner, amount in charges.items():
            budget = self.budgets.get(partner)
            if budget is not None and self.spend[(partner, year)] + amount > budget + 1e-9:
                return False
        return True

    def join_option(self, e: CampaignElement, t: int):
        if not self.instance.config.co_manifesting:
            return None
        for flight in self.flights:
            if flight["bucket"] != t:
                continue
            launcher = flight["launcher"]
            if not self.instance.can_carry(e, launcher):
                continue
            mass = self.instance.mass_tli_kg(e, launcher)
            if flight["mass"] + mass > launcher.capacity_tli_kg:
                continue
            if e.lands and not self.allowed[t]:
                continue
            if self.budget_ok({e.partner: e.cost_musd}, int(self.years[t])):
                return flight
        return None

    def new_option(self, e: CampaignElement, t: int) -> CampaignLauncher | None:
        if e.lands and not self.allowed[t]:
            return None
        year = int(self.years[t])
        options = []
        for launcher in self.instance.launchers:
            if not self.instance.can_carry(e, launcher):
                continue
            first, last = self.instance.launcher_window(launcher)
            used = self.by_launcher[launcher.id]
            if not first <= t <= last or t in used or len(used) >= self.slots[launcher.id]:
                continue
            if sum(1 for b in used if self.years[b] == year) >= launcher.cadence_per_year:
                continue
            charges = defaultdict(float)
            charges[launcher.partner] += launcher.cost_musd
            charges[e.partner] += e.cost_musd
            if self.budget_ok(charges, year):
                options.append(
                    (launcher.cost_musd, launcher.capacity_tli_kg, launcher.id, launcher)
                )
        return min(options)[-1] if options else None

    def place(self, e: CampaignElement, start: int, stop: int) -> int | None:
        for t in range(max(start, 0), stop + 1):
            flight = self.join_option(e, t)
            if flight is not None:
                flight["elements"].append(e.id)
                flight["mass"] += self.instance.mass_tli_kg(e, flight["launcher"])
                self.spend[(e.partner, int(self.years[t]))] += e.cost_musd
                return t
            launcher = self.new_option(e, t)
            if launcher is not None:
                self.flights.append(
                    {
                        "launcher": launcher,
                        "bucket": t,
                        "elements": [e.id],
                        "mass": self.instance.mass_tli_kg(e, launcher),
                    }
                )
                self.by_launcher[launcher.id].add(t)
                year = int(self.years[t])
                self.spend[(launcher.partner, year)] += launcher.cost_musd
                self.spend[(e.partner, year)] += e.cost_musd
                return t
        return None

    def plan(self) -> CampaignPlan:
        flights = []
        for launcher in self.instance.launchers:
            own = sorted(
                (f for f in self.flights if f["launcher"].id == launcher.id),
                key=lambda f: f["bucket"],
            )
            flights.extend(
                Flight(launcher=launcher.id, index=k, bucket=f["bucket"], elements=f["elements"])
                for k, f in enumerate(own)
            )
        return CampaignPlan(flights=sorted(flights, key=lambda f: (f.bucket, f.launcher)))


def greedy_plan(instance: CampaignInstance) -> CampaignPlan:
    """A feasible plan by list scheduling (see the module docstring); fast, not optimal."""
    state = _State(instance)
    ready: dict[str, int] = {
        e.id: instance.bucket_of(e.operating_from)
        for e in instance.elements
        if e.operating_from is not None
    }
    providers: dict[str, list[str]] = defaultdict(list)
    for e in instance.elements:
        for tag in e.provides:
            providers[tag].append(e.id)
    pending = {e.id: e for e in instance.scheduled()}
    failed: set[str] = set()
    last = instance.n_buckets - 1

    def bound(e: CampaignElement) -> float:
        start = instance.first_bucket_from(e.earliest_launch)
        for other in e.requires:
            if other not in ready:
                return math.inf
            start = max(start, ready[other])
        for tag in e.needs:
            options = [ready[p] for p in providers[tag] if p in ready]
            if not options:
                return math.inf
            start = max(start, min(options))
        return start

    while pending:
        ranked = sorted(
            (bound(e), not e.basic_model, not e.required, -e.landed_mass_kg, e.id)
            for e in pending.values()
        )
        if not ranked or ranked[0][0] == math.inf:
            break
        start, *_, element_id = ranked[0]
        e = pending.pop(element_id)
        stop = last if e.latest_launch is None else min(last, instance.bucket_of(e.latest_launch))
        placed = state.place(e, int(start), stop)
        if placed is None:
            failed.add(e.id)
        else:
            ready[e.id] = placed + instance.lag_buckets(e)
    return state.plan()
