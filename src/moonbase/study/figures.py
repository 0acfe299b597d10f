"""The headline figures of one plan for a study's comparison, and the Pareto front of two.

:func:`variant_figures` reads a :class:`~moonbase.spine.Plan` into plain data: the basic model's
date and its probability by the target, the mass landed at the site, the survival margin, the
closure, the science value, the cost (where the scenario prices its launches). :func:`partner_figures`
gives each partner's dates, entitlement, delivered share and risk. :data:`FIGURES` says of each
figure its label, unit and whether more is better, which :func:`pareto_front` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

__all__ = [
    "FIGURES",
    "PARTNER_FIGURES",
    "Figure",
    "figure_value",
    "landed_mass_kg",
    "launch_cost_musd",
    "pareto_front",
    "partner_figures",
    "variant_figures",
]


@dataclass(frozen=True)
class Figure:
    """A figure of a variant: its label, unit and direction (``better``: ``"low"``/``"high"``)."""

    label: str
    unit: str
    better: str


#: The comparison's figures, by name (the names a study file's ``[pareto]`` may use).
FIGURES: dict[str, Figure] = {
    "basic_model_operating": Figure("Basic model operating", "date", "low"),
    "p_basic_model_by_target": Figure("P(basic model by target)", "", "high"),
    "landed_mass_kg": Figure("Mass landed at the site", "kg", "high"),
    "min_survival_margin_h": Figure("Survival margin", "h", "high"),
    "science_value": Figure("Science value", "", "high"),
    "science_runs": Figure("Science runs", "", "high"),
    "cost_musd": Figure("Cost of launches and elements", "M$", "low"),
    "lit_percent": Figure("Site lit", "%", "high"),
}

#: Per-partner figures of a plan (:func:`partner_figures`), with their labels.
PARTNER_FIGURES: dict[str, str] = {
    "entitlement_percent": "entitlement (%)",
    "delivered_percent": "delivered share (%)",
    "runs": "science runs",
    "elements": "elements flown",
    "last_operating": "last element operating",
    "first_run": "first science run",
    "p_lose_element": "P(lose an element)",
    "mean_extra_cost_musd": "mean re-flight cost (M$)",
}


def landed_mass_kg(plan) -> float:
    """Mass of the elements at the site by the plan: flown before its date, or flown by it."""
    result = plan.campaign.result
    flown = set(result.plan.launch_bucket())
    return float(
        sum(
            e.landed_mass_kg
            for e in result.instance.elements
            if e.lands and (e.operating_from is not None or e.id in flown)
        )
    )


def launch_cost_musd(plan) -> float | None:
    """The plan's launches and elements in M$ (the ``least_cost`` objective's sum); None when
    the scenario gives no costs."""
    from moonbase.campaign.plan import KUSD_PER_MUSD, plan_objectives

    scenario = plan.scenario
    if not any(x.cost_per_launch_musd for x in scenario.launchers):
        return None
    result = plan.campaign.result
    return plan_objectives(result.instance, result.plan)["least_cost"] / KUSD_PER_MUSD


def variant_figures(plan) -> dict:
    """The headline of ``plan`` for a study's row (plain data: numbers, text, dates as ISO)."""
    summary = plan.summary()
    campaign, systems, closure = summary["campaign"], summary["systems"], summary["closure"]
    site = summary.get("site") or {}
    unmet = [u["need"] for u in closure["unmet"]] + [u["need"] for u in summary["unmet"]]
    return {
        "basic_model_operating": campaign["basic_model_operating"],
        "p_basic_model_by_target": campaign["p_basic_model_by_target"],
        "first_launch": campaign["first_launch"],
        "campaign_status": campaign["status"],
        "landed_mass_kg": landed_mass_kg(plan),
        "min_survival_margin_h": systems["min_survival_margin_h"],
        "critical_energy_not_served_kwh": systems["critical_energy_not_served_kwh"],
        "closed": bool(closure["closed"]),
        "closure_fixes": len(closure["fixes"]),
        "unmet": unmet,
        "science_value": summary["science"]["value"],
        "science_runs": summary["science"]["runs"],
        "cost_musd": launch_cost_musd(plan),
        "site_name": site.get("name"),
        "latitude_deg": site.get("latitude_deg"),
        "longitude_deg": site.get("longitude_deg"),
        "lit_percent": site.get("lit_percent"),
    }


def partner_figures(plan) -> dict[str, dict]:
    """Per partner of the plan's scenario: :data:`PARTNER_FIGURES` (None where it has none)."""
    shares = plan.science.shares()
    arrivals = plan.campaign.arrivals()
    owner = {e.id: e.partner for e in plan.scenario.elements}
    runs: dict[str, list[str]] = {}
    for assignment in plan.science.schedule.assignments:
        runs.setdefault(assignment.partner, []).append(assignment.start_utc)
    exposure = plan.campaign.risk.partner_exposure().set_index("partner")
    out = {}
    for partner in plan.scenario.partners:
        pid = partner.id
        mine = [day for element, day in arrivals.items() if owner.get(element) == pid]
        dated = [day for day in mine if day is not None]
        row = shares.get(pid, {})
        starts = sorted(runs.get(pid, []))
        risk = exposure.loc[pid] if pid in exposure.index else None
        out[pid] = {
            "entitlement_percent": _number(row.get("entitlement_percent")),
            "delivered_percent": _number(row.get("delivered_percent")),
            "runs": len(starts),
            "elements": len(mine),
            "last_operating": max(dated).isoformat() if dated else None,
            "first_run": starts[0][:10] if starts else None,
            "p_lose_element": None if risk is None else float(risk["p_lose_element"]),
            "mean_extra_cost_musd": None if risk is None else float(risk["mean_extra_cost_musd"]),
        }
    return out


def figure_value(name: str, value) -> float | None:
    """A figure as a number to compare (dates as days since 2000-01-01); None if missing."""
    if value is None:
        return None
    if FIGURES[name].unit == "date":
        return float((date.fromisoformat(value) - date(2000, 1, 1)).days)
    value = float(value)
    return None if np.isnan(value) else value


def pareto_front(points: list[tuple[float | None, float | None]], better: tuple[str, str]):
    """Which points no other point dominates (at least as good in both, better in one).

    ``better`` is each axis's direction (``"low"`` or ``"high"``); points with a missing value
    are never on the front.

    >>> pareto_front([(1, 5), (2, 6), (3, 4), (None, 9)], ("low", "high"))
    [True, True, False, False]
    """
    signs = [1.0 if b == "low" else -1.0 for b in better]
    scored = [None if x is None or y is None else (signs[0] * x, signs[1] * y) for x, y in points]
    front = []
    for i, p in enumerate(scored):
        if p is None:
            front.append(False)
            continue
        dominated = any(
            q is not None and q[0] <= p[0] and q[1] <= p[1] and (q[0] < p[0] or q[1] < p[1])
            for j, q in enumerate(scored)
            if j != i
        )
        front.append(not dominated)
    return front


def _number(value):
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value
