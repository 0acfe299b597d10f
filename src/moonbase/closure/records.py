"""The closure step's records: the survival check, each fix, what is unmet, the closed plan."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.logistics.stage import Logistics
    from moonbase.scenario.models import Scenario
    from moonbase.systems.stage import StationRun

__all__ = ["MARGIN_TOLERANCE_H", "Closure", "ClosureIteration", "SurvivalCheck", "UnmetNeed"]

#: A survival margin at or below this (hours) is none: the storage ran empty, to rounding.
MARGIN_TOLERANCE_H = 1e-6


@dataclass(frozen=True)
class SurvivalCheck:
    """Does the simulated station survive? Its figures, and where it first falls short."""

    critical_energy_not_served_kwh: float
    min_survival_margin_h: float
    survival_margin_after_longest_darkness_h: float
    tolerance_kwh: float
    first_short_utc: pd.Timestamp | None  # first hour a survival load is unserved (or margin 0)
    short_loads: tuple[str, ...]  # the survival loads short then (component names)

    @property
    def served(self) -> bool:
        return self.critical_energy_not_served_kwh <= self.tolerance_kwh

    @property
    def survives(self) -> bool:
        return self.served and self.min_survival_margin_h > MARGIN_TOLERANCE_H


@dataclass(frozen=True)
class ClosureIteration:
    """One fix of the closure loop and what it did to the plan."""

    iteration: int
    fix: str  # "storage on element", "storage element", "earlier power", "logistics flight"
    element: str
    component: str | None
    capacity_before_wh: float
    capacity_after_wh: float
    added_mass_kg: float  # landed
    added_tli_mass_kg: float
    basic_model_before: date | None
    basic_model_after: date | None
    launcher_before: str | None
    launcher_after: str | None
    critical_energy_not_served_before_kwh: float
    critical_energy_not_served_after_kwh: float
    min_survival_margin_after_h: float
    simulations: int
    added_elements: tuple[str, ...] = ()  # new elements: storage units, a logistics flight
    added_launchers: tuple[str | None, ...] = ()  # the launcher flying each
    added_arrivals: tuple[date | None, ...] = ()  # each one's first operating date
    operating_before: date | None = None  # the element's first operating date, before the fix
    operating_after: date | None = None  # and after it
    commodities: tuple[str, ...] = ()  # what a logistics flight brings
    need_by: date | None = None  # when the stores first fall short
    considered: tuple[str, ...] = ()  # other fixes tried first, each with why it was not taken

    @property
    def added_wh(self) -> float:
        return self.capacity_after_wh - self.capacity_before_wh

    def summary(self) -> dict:
        return {
            "iteration": self.iteration,
            "fix": self.fix,
            "element": self.element,
            "component": self.component,
            "capacity_before_wh": self.capacity_before_wh,
            "capacity_after_wh": self.capacity_after_wh,
            "added_wh": self.added_wh,
            "added_mass_kg": self.added_mass_kg,
            "added_tli_mass_kg": self.added_tli_mass_kg,
            "launcher_before": self.launcher_before,
            "launcher_after": self.launcher_after,
            "basic_model_before": _iso(self.basic_model_before),
            "basic_model_after": _iso(self.basic_model_after),
            "critical_energy_not_served_before_kwh": self.critical_energy_not_served_before_kwh,
            "critical_energy_not_served_after_kwh": self.critical_energy_not_served_after_kwh,
            "min_survival_margin_after_h": _finite(self.min_survival_margin_after_h),
            "added_elements": list(self.added_elements),
            "added_launchers": list(self.added_launchers),
            "added_arrivals": [_iso(day) for day in self.added_arrivals],
            "operating_before": _iso(self.operating_before),
            "operating_after": _iso(self.operating_after),
            "commodities": list(self.commodities),
            "need_by": _iso(self.need_by),
            "considered": list(self.considered),
        }


@dataclass(frozen=True)
class UnmetNeed:
    """A need the closure step could not meet: what, for which element, how much, and why."""

    need: str  # "survival energy", "survival margin", "storage mass", "<commodity> stock"
    element: str | None
    amount: float
    unit: str
    reason: str

    def summary(self) -> dict:
        return {
            "need": self.need,
            "element": self.element,
            "amount": _finite(self.amount),
            "unit": self.unit,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Closure:
    """The closed (or not) plan: the changed scenario, its campaign, twin and logistics, the record.

    ``logistics`` (a :class:`~moonbase.logistics.Logistics`) made the manifests ``systems`` has
    on board; ``initial_stock_shortfalls`` and ``final_stock_shortfalls`` are the critical
    stores below their reserve before and after the fixes.
    """

    scenario: Scenario
    campaign: CampaignOutcome
    systems: StationRun
    initial: SurvivalCheck
    final: SurvivalCheck
    iterations: tuple[ClosureIteration, ...]
    unmet: tuple[UnmetNeed, ...]
    max_iterations: int
    specific_energy_wh_per_kg: float
    logistics: Logistics | None = None
    initial_stock_shortfalls: tuple = ()
    final_stock_shortfalls: tuple = ()

    @property
    def closed(self) -> bool:
        return self.final.survives and not self.final_stock_shortfalls and not self.unmet

    def summary(self) -> dict:
        return {
            "closed": self.closed,
            "iterations": len(self.iterations),
            "fixes": [it.summary() for it in self.iterations],
            "unmet": [u.summary() for u in self.unmet],
        }

    def section(self):
        """The report's closure section: the checks, each fix, and what is unmet."""
        from moonbase.report import Section

        first, last = self.initial, self.final
        paragraphs = [
            "After the twin runs with the manifests on board, the plan checks that the station "
            "survives: its survival (priority 1) loads are served through every night at the "
            "station's cell, the survival margin (hours the storage could carry them) never "
            "falls to 0, and every critical store (O2, water, food, make-up gas) holds its "
            "reserve. For a night it cannot carry, the closure step first tries to fly a "
            "planned power source (reactor or arrays) early enough, which adds no mass; else "
            "it sizes the battery of the element short (bisection on the twin, with the "
            "sizing margin), grows that element's landed mass by the storage at "
            f"{self.specific_energy_wh_per_kg:g} Wh/kg (notional Li-ion at system level) and "
            "its TLI mass by that over its landed fraction; where the heavier element no "
            "launcher can carry, or no campaign can fly, the storage flies as separate "
            "notional storage elements that land before it (the station's batteries share "
            "one bus). For a store no manifest can keep, it adds a notional logistics flight "
            "landing the smallest mass that closes it by the date it is needed. Each fix "
            f"re-plans the campaign and runs the twin again, at most {self.max_iterations} "
            "times.",
            f"Before: {first.critical_energy_not_served_kwh:,.1f} kWh of survival energy not "
            f"served, minimum survival margin {first.min_survival_margin_h:,.1f} h, "
            f"{len(self.initial_stock_shortfalls)} stores short. After: "
            f"{last.critical_energy_not_served_kwh:,.1f} kWh, "
            f"{last.min_survival_margin_h:,.1f} h, {len(self.final_stock_shortfalls)} stores "
            "short. " + ("The station closes." if self.closed else "The station does not close."),
        ]
        for it in self.iterations:
            paragraphs += [f"Fix {it.iteration} considered first: {c}." for c in it.considered]
        paragraphs += [
            f"Unmet: {u.need} of {u.element or 'the station'}, {u.amount:,.1f} {u.unit}: "
            f"{u.reason}."
            for u in self.unmet
        ]
        tables = [self.table()]
        if self.unmet:
            tables.append(pd.DataFrame([u.summary() for u in self.unmet]))
        return Section("Closure: what the station needs to survive", paragraphs, tables=tables)

    def table(self) -> pd.DataFrame:
        """One row per iteration (the report's closure table)."""
        columns = [
            "iteration",
            "fix",
            "element",
            "added_wh",
            "added_mass_kg",
            "commodities",
            "need_by",
            "launcher_before",
            "launcher_after",
            "operating_before",
            "operating_after",
            "basic_model_before",
            "basic_model_after",
            "critical_energy_not_served_before_kwh",
            "critical_energy_not_served_after_kwh",
            "added_elements",
            "added_launchers",
            "added_arrivals",
        ]
        rows = []
        for it in self.iterations:
            row = it.summary()
            for key in ("added_elements", "added_launchers", "added_arrivals", "commodities"):
                row[key] = ", ".join(str(v) for v in row[key]) or None
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
