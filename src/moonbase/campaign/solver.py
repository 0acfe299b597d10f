"""The CP-SAT campaign model: flight slots with dates, element-to-flight assignment.

Decision variables
------------------
* per candidate flight ``f`` (``CampaignInstance.flight_slots``, the k-th launch of a launcher):
  ``used[f]`` and its bucket ``day[f]``; launches of one launcher are numbered in date order;
* per element ``e`` and flight ``f`` that can carry it: ``assign[e, f]``;
* per element: ``launch[e]`` (bucket; ``n_buckets`` when not flown) and ``flown[e]``.

Each constraint family is one small ``_add_*`` method. Objectives are integers (buckets, value
points, thousands of US dollars) and are solved lexicographically: solve the first, fix its value
(``<=`` the value found, which is the optimum when CP-SAT proves it), solve the next.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from moonbase.campaign.model import CampaignInstance
from moonbase.campaign.plan import (
    KUSD_PER_MUSD,
    CampaignPlan,
    Flight,
    basic_model_ids,
    capability_deadline_bucket,
)

__all__ = ["CampaignSolver", "StageResult"]

_SENSE = {
    "earliest_basic_model": 1,
    "max_capability_by_date": -1,
    "least_cost": 1,
    "earliest_launches": 1,
}
_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


@dataclass
class StageResult:
    """One lexicographic stage: objective, status, value, CP-SAT bound, relative gap, time."""

    objective: str
    status: str
    value: float | None
    bound: float | None
    gap: float | None
    wall_s: float
    notes: list[str] = field(default_factory=list)


class CampaignSolver:
    """Build the CP-SAT model of ``instance`` once; :meth:`solve` runs the lexicographic stages."""

    def __init__(self, instance: CampaignInstance):
        self.instance = instance
        self.model = cp_model.CpModel()
        self.horizon = instance.n_buckets  # launch == horizon means "not flown"
        self.slots = instance.flight_slots()
        self.years = instance.bucket_years()
        self.year0 = int(self.years[0]) if len(self.years) else 0
        self.elements = instance.scheduled()
        self._add_flights()
        self._add_assignment()
        self._add_capacity()
        self._add_cadence()
        self._add_daylight()
        self._add_dates()
        self._add_precedence()
        self._add_capabilities()
        self._add_budgets()
        self._build_objectives()

    # ---- variables and constraint families --------------------------------------------
    def _add_flights(self) -> None:
        m = self.model
        self.used, self.day, self.flight_year = {}, {}, {}
        for launcher_id, k in self.slots:
            launcher = self.instance.launcher(launcher_id)
            first, last = self.instance.launcher_window(launcher)
            f = (launcher_id, k)
            self.used[f] = m.new_bool_var(f"used_{launcher_id}_{k}")
            self.day[f] = m.new_int_var(first, last, f"day_{launcher_id}_{k}")
            self.flight_year[f] = m.new_int_var(0, int(self.years[-1]) - self.year0, f"yr_{f}")
            m.add_element(
                self.day[f], [int(y) - self.year0 for y in self.years], self.flight_year[f]
            )
        by_launcher = defaultdict(list)
        for f in self.slots:
            by_launcher[f[0]].append(f)
        self.by_launcher = by_launcher
        for flights in by_launcher.values():
            for a, b in itertools.pairwise(flights):
                m.add_implication(self.used[b], self.used[a])
                m.add(self.day[b] >= self.day[a] + 1).only_enforce_if(self.used[b])

    def _add_assignment(self) -> None:
        m = self.model
        self.assign, self.flown = {}, {}
        self.on_flight = defaultdict(list)
        for e in self.elements:
            options = []
            for f in self.slots:
                if self.instance.can_carry(e, self.instance.launcher(f[0])):
                    var = m.new_bool_var(f"a_{e.id}_{f[0]}_{f[1]}")
                    self.assign[e.id, f] = var
                    self.on_flight[f].append(e)
                    options.append(var)
            self.flown[e.id] = m.new_bool_var(f"flown_{e.id}")
            m.add(sum(options) == self.flown[e.id])
            if e.required:
                m.add(self.flown[e.id] == 1)

    def _add_capacity(self) -> None:
        m = self.model
        for f, carried in self.on_flight.items():
            launcher = self.instance.launcher(f[0])
            mass = [math.ceil(self.instance.mass_tli_kg(e, launcher)) for e in carried]
            cap = math.floor(launcher.capacity_tli_kg)
            m.add(
                sum(w * self.assign[e.id, f] for w, e in zip(mass, carried, strict=True))
                <= cap * self.used[f]
            )
            if not self.instance.config.co_manifesting:
                m.add(sum(self.assign[e.id, f] for e in carried) <= self.used[f])
        for f in self.slots:
            if not self.on_flight.get(f):
                self.model.add(self.used[f] == 0)
            else:
                m.add(sum(self.assign[e.id, f] for e in self.on_flight[f]) >= self.used[f])

    def _add_cadence(self) -> None:
        """At most ``cadence_per_year`` launches of a launcher in any calendar year."""
        m = self.model
        for launcher_id, flights in self.by_launcher.items():
            c = self.instance.launcher(launcher_id).cadence_per_year
            for a, b in zip(flights, flights[c:], strict=False):
                m.add(self.flight_year[b] >= self.flight_year[a] + 1).only_enforce_if(self.used[b])

    def _add_daylight(self) -> None:
        """A flight carrying a lander flies in a bucket with enough daylight at the site."""
        allowed = self.instance.landing_allowed()
        if allowed.all():
            return
        m = self.model
        ok = [b for b in range(self.instance.n_buckets) if allowed[b]]
        for f, carried in self.on_flight.items():
            landers = [self.assign[e.id, f] for e in carried if e.lands]
            if not landers:
                continue
            lo, hi = self.instance.launcher_window(self.instance.launcher(f[0]))
            values = [b for b in ok if lo <= b <= hi]
            if not values:
                for var in landers:
                    m.add(var == 0)
                continue
            lit = m.new_bool_var(f"lands_{f}")
            for var in landers:
                m.add_implication(var, lit)
            m.add_linear_expression_in_domain(
                self.day[f], cp_model.Domain.from_values(values)
            ).only_enforce_if(lit)

    def _add_dates(self) -> None:
        """``launch[e]`` equals its flight's bucket; earliest/latest launch dates."""
        m = self.model
        self.launch, self.ready = {}, {}
        n = self.instance.n_buckets
        for e in self.elements:
            lo = max(0, self.instance.first_bucket_from(e.earliest_launch))
            hi = n - 1
            if e.latest_launch is not None:
                hi = min(hi, self.instance.bucket_of(e.latest_launch))
            values = list(range(lo, hi + 1)) + [self.horizon]
            self.launch[e.id] = m.new_int_var_from_domain(
                cp_model.Domain.from_values(values), f"launch_{e.id}"
            )
            m.add(self.launch[e.id] == self.horizon).only_enforce_if(~self.flown[e.id])
            for f in self.slots:
                var = self.assign.get((e.id, f))
                if var is not None:
                    m.add(self.launch[e.id] == self.day[f]).only_enforce_if(var)
            self.ready[e.id] = self.launch[e.id] + self.instance.lag_buckets(e)
        for e in self.instance.elements:
            if e.operating_from is not None:
                self.ready[e.id] = self.instance.bucket_of(e.operating_from)

    def _add_precedence(self) -> None:
        m = self.model
        for e in self.elements:
            for other in e.requires:
                if other in self.flown:
                    m.add_implication(self.flown[e.id], self.flown[other])
                m.add(self.launch[e.id] >= self.ready[other]).only_enforce_if(self.flown[e.id])

    def _add_capabilities(self) -> None:
        """For each capability an element needs, some provider operates by its launch."""
        m = self.model
        providers = defaultdict(list)
        for e in self.instance.elements:
            for tag in e.provides:
                providers[tag].append(e.id)
        self.capability_ready = {}
        top = self.horizon + max(
            (self.instance.lag_buckets(e) for e in self.instance.elements), default=1
        )
        for e in self.elements:
            for tag in e.needs:
                if tag not in self.capability_ready:
                    var = m.new_int_var(-1, top, f"cap_{tag}")
                    m.add_min_equality(var, [self.ready[p] for p in providers[tag]])
                    self.capability_ready[tag] = var
                m.add(self.launch[e.id] >= self.capability_ready[tag]).only_enforce_if(
                    self.flown[e.id]
                )

    def _add_budgets(self) -> None:
        """What a partner pays in a calendar year (launches it provides, its elements) <= budget."""
        budgets = self.instance.budgets()
        if not budgets:
            return
        m = self.model
        n_years = int(self.years[-1]) - self.year0 + 1
        first_of = [int(np.argmax(self.years == self.year0 + y)) for y in range(n_years)]
        last_of = [
            int(len(self.years) - 1 - np.argmax(self.years[::-1] == self.year0 + y))
            for y in range(n_years)
        ]
        terms = defaultdict(list)

        def year_flags(date_var, active, name):
            """One flag per calendar year: which year ``date_var`` falls in (none if inactive).

            Besides the implications, the linear channelling
            ``sum first_y z_y <= date <= sum last_y z_y + H (1 - active)`` tightens the LP.
            """
            flags = [m.new_bool_var(f"{name}_{y}") for y in range(n_years)]
            for y, z in enumerate(flags):
                m.add(date_var >= first_of[y]).only_enforce_if(z)
                m.add(date_var <= last_of[y]).only_enforce_if(z)
            m.add(sum(flags) == active)
            m.add(date_var >= sum(first_of[y] * z for y, z in enumerate(flags)))
            m.add(
                date_var
                <= sum(last_of[y] * z for y, z in enumerate(flags)) + self.horizon * (1 - active)
            )
            return flags

        for e in self.elements:
            cost = math.ceil(e.cost_musd * KUSD_PER_MUSD)
            if cost == 0 or e.partner not in budgets:
                continue
            for y, z in enumerate(year_flags(self.launch[e.id], self.flown[e.id], f"z_{e.id}")):
                terms[e.partner, y].append(cost * z)
        for f in self.slots:
            launcher = self.instance.launcher(f[0])
            cost = math.ceil(launcher.cost_musd * KUSD_PER_MUSD)
            if cost == 0 or launcher.partner not in budgets:
                continue
            for y, w in enumerate(year_flags(self.day[f], self.used[f], f"w_{f[0]}_{f[1]}")):
                terms[launcher.partner, y].append(cost * w)
        for (partner, _), items in terms.items():
            m.add(sum(items) <= math.floor(budgets[partner] * KUSD_PER_MUSD))

    def _build_objectives(self) -> None:
        m = self.model
        inst = self.instance
        top = self.horizon + max((inst.lag_buckets(e) for e in inst.elements), default=1)
        completion = m.new_int_var(-1, top, "completion")
        for i in basic_model_ids(inst):
            m.add(completion >= self.ready[i])
        self.completion_lower_bound = self._completion_lower_bound()
        m.add(completion >= self.completion_lower_bound)
        deadline = capability_deadline_bucket(inst)
        capability = []
        for e in inst.elements:
            if e.value == 0:
                continue
            if e.operating_from is not None:
                if self.ready[e.id] <= deadline:
                    capability.append(e.value)
                continue
            v = m.new_bool_var(f"v_{e.id}")
            m.add(self.ready[e.id] <= deadline).only_enforce_if(v)
            m.add_implication(v, self.flown[e.id])
            capability.append(e.value * v)
        cost = [
            math.floor(inst.launcher(f[0]).cost_musd * KUSD_PER_MUSD + 0.5) * self.used[f]
            for f in self.slots
        ]
        cost += [
            math.floor(e.cost_musd * KUSD_PER_MUSD + 0.5) * self.flown[e.id] for e in self.elements
        ]
        self.objectives = {
            "earliest_basic_model": completion,
            "max_capability_by_date": sum(capability),
            "least_cost": sum(cost),
            "earliest_launches": sum(self.launch[e.id] for e in self.elements),
        }

    def _completion_lower_bound(self) -> int:
        """A valid bound from capacity relaxations, given to CP-SAT as a redundant constraint.

        By bucket ``t`` launcher ``l`` can have flown at most ``N_l(t)`` times (one per bucket,
        at most ``cadence`` per calendar year, and at most as many per year as its provider's
        budget pays for, at most its slot count). The basic-model elements
        and what they require must all fly before completion. For every set ``C`` of launchers
        that is some element's set of possible carriers, the elements that only ``C`` can carry
        need (a) ``sum_{l in C} capacity_l N_l(t) >=`` their smallest TLI masses, and (b) as many
        flights as there are of them heavier than half of every launcher in ``C`` (no two
        share). Completion >= the first ``t`` meeting all of these, plus the smallest lag.
        """
        inst = self.instance
        wanted, stack = set(), list(basic_model_ids(inst))
        while stack:
            i = stack.pop()
            if i in wanted:
                continue
            wanted.add(i)
            stack.extend(inst.element(i).requires)
        elements = [e for e in self.elements if e.id in wanted]
        if not elements:
            return -1
        carriers = {}
        for e in elements:
            carriers[e.id] = frozenset(lch.id for lch in inst.launchers if inst.can_carry(e, lch))
            if not carriers[e.id]:
                return -1
        n = inst.n_buckets
        flown_by = {}  # launcher -> max number of flights by bucket t (inclusive)
        for launcher_id, flights in self.by_launcher.items():
            launcher = inst.launcher(launcher_id)
            first, last = inst.launcher_window(launcher)
            cadence = launcher.cadence_per_year
            budget = inst.budgets().get(launcher.partner)
            if budget is not None and launcher.cost_musd > 0:  # the provider pays each launch
                cadence = min(cadence, math.floor(budget / launcher.cost_musd + 1e-9))
            count, per_year, series = 0, defaultdict(int), []
            for t in range(n):
                year = int(self.years[t])
                if first <= t <= last and count < len(flights):
                    if per_year[year] < cadence:
                        count += 1
                        per_year[year] += 1
                series.append(count)
            flown_by[launcher_id] = series
        earliest = -1
        for group in set(carriers.values()):
            members = [e for e in elements if carriers[e.id] <= group]
            mass = sum(
                min(inst.mass_tli_kg(e, inst.launcher(i)) for i in carriers[e.id]) for e in members
            )
            big = sum(
                1
                for e in members
                if all(
                    inst.mass_tli_kg(e, inst.launcher(i)) > inst.launcher(i).capacity_tli_kg / 2
                    for i in carriers[e.id]
                )
            )
            for t in range(n):
                capacity = sum(
                    inst.launcher(i).capacity_tli_kg * flown_by.get(i, [0] * n)[t] for i in group
                )
                count = sum(flown_by.get(i, [0] * n)[t] for i in group)
                if capacity >= mass - 1e-6 and count >= big:
                    earliest = max(earliest, t)
                    break
            else:
                return -1  # cannot fit in the window: leave infeasibility to the model
        return earliest + min(inst.lag_buckets(e) for e in elements)

    # ---- hints and solving ------------------------------------------------------------
    def add_hint(self, plan: CampaignPlan, *, time_limit_s: float = 5.0) -> bool:
        """Hint CP-SAT with ``plan`` (its flights mapped onto slots in date order).

        The plan's decisions are fixed in a copy of the model, which CP-SAT completes by
        propagation (auxiliary variables: years, capability dates, budget flags); the full
        assignment is then the hint. Returns False when the copy has no solution (the plan is
        infeasible for this model), in which case only the decisions are hinted.
        """
        m = self.model
        m.clear_hints()
        slot_of = {}
        for launcher_id, flights in self.by_launcher.items():
            own = sorted(
                (f for f in plan.flights if f.launcher == launcher_id), key=lambda f: f.bucket
            )
            for slot, flight in zip(flights, own, strict=False):
                slot_of[slot] = flight
        on = {i: slot for slot, flight in slot_of.items() for i in flight.elements}
        decisions = []
        for f in self.slots:
            flight = slot_of.get(f)
            decisions.append((self.used[f], int(flight is not None)))
            if flight is not None:
                decisions.append((self.day[f], flight.bucket))
        for e in self.elements:
            decisions.append((self.flown[e.id], int(e.id in on)))
            decisions.append(
                (self.launch[e.id], slot_of[on[e.id]].bucket if e.id in on else self.horizon)
            )
            for f in self.slots:
                var = self.assign.get((e.id, f))
                if var is not None:
                    decisions.append((var, int(on.get(e.id) == f)))
        copy = m.clone()
        copy.clear_objective()
        for var, value in decisions:
            copy.add(copy.get_int_var_from_proto_index(var.index) == value)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit_s
        solver.parameters.num_workers = 1
        status = solver.solve(copy)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = solver.response_proto.solution
            for index, value in enumerate(values):
                m.add_hint(m.get_int_var_from_proto_index(index), value)
            return True
        for var, value in decisions:
            m.add_hint(var, value)
        return False

    def extract(self, solver: cp_model.CpSolver) -> CampaignPlan:
        flights = []
        for launcher_id, slots in self.by_launcher.items():
            k = 0
            for f in slots:
                if not solver.boolean_value(self.used[f]):
                    continue
                carried = [
                    e.id for e in self.on_flight[f] if solver.boolean_value(self.assign[e.id, f])
                ]
                flights.append(
                    Flight(
                        launcher=launcher_id,
                        index=k,
                        bucket=solver.value(self.day[f]),
                        elements=carried,
                    )
                )
                k += 1
        return CampaignPlan(flights=sorted(flights, key=lambda f: (f.bucket, f.launcher)))

    def solve(
        self,
        objectives: list[str],
        *,
        time_limit_s: float,
        hint: CampaignPlan | None = None,
        hint_values: dict[str, float] | None = None,
        evaluate: Callable[[CampaignPlan], dict[str, float]] | None = None,
        workers: int = 2,
        seed: int = 0,
        relative_gap: float = 0.0,
    ) -> tuple[CampaignPlan | None, list[StageResult]]:
        """Lexicographic solve; the time limit is shared across the stages.

        ``hint_values`` (the hint plan's objective values) become upper bounds (lower for a
        maximised objective) while the stages so far equal the hint's values, so the result is
        never lexicographically worse than the hint. When a stage finds no solution in its
        time, the plan so far is kept, its value (``evaluate(plan)``) is fixed, and the next
        stage runs; with no plan at all, ``None`` is returned.
        """
        stages: list[StageResult] = []
        plan = hint
        deadline = time.perf_counter() + time_limit_s
        tied_with_hint = hint_values is not None
        for number, name in enumerate(objectives):
            expr, sense = self.objectives[name], _SENSE[name]
            start = time.perf_counter()
            remaining = max(0.5, deadline - start)
            if tied_with_hint:  # before the hint, so the completed hint satisfies it
                bound = hint_values[name]
                self.model.add(expr <= bound) if sense > 0 else self.model.add(expr >= bound)
            if plan is not None:
                self.add_hint(plan, time_limit_s=min(5.0, remaining / 4))
            if sense > 0:
                self.model.minimize(expr)
            else:
                self.model.maximize(expr)
            solver = cp_model.CpSolver()
            remaining = max(0.5, deadline - time.perf_counter())
            last = number == len(objectives) - 1
            solver.parameters.max_time_in_seconds = (
                remaining if last else 1.5 * remaining / (len(objectives) - number)
            )
            solver.parameters.num_workers = workers
            solver.parameters.random_seed = seed
            solver.parameters.relative_gap_limit = relative_gap
            # full LP relaxation of the linear constraints. On the 100-element benchmark with
            # budgets one side-by-side run gave 78 months in 30 s against 102 with the default;
            # runs vary a lot on a shared 2-core machine, so this is weak evidence.
            solver.parameters.linearization_level = 2
            status = solver.solve(self.model)
            wall = time.perf_counter() - start
            label = _STATUS.get(status, str(status))
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                value = solver.objective_value
                bound = solver.best_objective_bound
                gap = abs(value - bound) / max(1.0, abs(value))
                stages.append(StageResult(name, label, value, bound, gap, wall))
                plan = self.extract(solver)
                fixed = round(value)
            elif plan is not None and evaluate is not None and status != cp_model.INFEASIBLE:
                fixed = evaluate(plan)[name]
                stages.append(StageResult(name, label, fixed, None, None, wall))
                stages[-1].notes.append("no solution in time: kept the previous plan")
            else:
                stages.append(StageResult(name, label, None, None, None, wall))
                return (None if plan is hint else plan), stages
            # fix this stage's value for the next stages
            if sense > 0:
                self.model.add(expr <= fixed)
            else:
                self.model.add(expr >= fixed)
            if tied_with_hint and fixed != hint_values[name]:
                tied_with_hint = False
        return plan, stages
