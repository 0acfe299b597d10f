"""The headline figures of one plan for a study's comparison, and the Pareto front of two.

:func:`variant_figures` reads a :class:`~moonbase.spine.Plan` into plain data: the basic model's
date and its probability by the target, the mass landed at the site (and delivered to an orbit
node), the survival margin, the closure, the science value, the cost (where the scenario prices
its launches). :func:`partner_figures` gives each partner's dates, entitlement, delivered share
and risk. A plan of a surface base and an orbit node counts both stations: the smaller survival
margin, closed only if both close, the science of both (each partner's delivered share by the one
share rule over both schedules' utilisation). :data:`FIGURES` says of each figure its label, unit
and whether more is better, which :func:`pareto_front` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

__all__ = [
    "FIGURES",
    "PARTNER_FIGURES",
    "Figure",
    "delivered_utilisation",
    "figure_value",
    "landed_mass_kg",
    "launch_cost_musd",
    "node_mass_kg",
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
    "node_mass_kg": Figure("Mass delivered to the orbit node", "kg", "high"),
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


def node_mass_kg(plan) -> float | None:
    """Mass of the node's elements flown by the plan, as delivered to the node (TLI mass times
    the insertion's delivered fraction); None without an orbit node."""
    node = plan.node
    if node is None:
        return None
    result = plan.campaign.result
    flown = set(result.plan.launch_bucket())
    history = set(plan.campaign.history.query("state == 'flown'")["element"])
    tli = sum(
        e.mass_tli_kg or 0.0
        for e in plan.scenario.elements
        if e.location == "node" and (e.id in flown or e.id in history)
    )
    return float(tli * node.delivered_fraction)


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
    campaign = summary["campaign"]
    site = summary.get("site") or {}
    stations = plan.stations
    closures = [s.closure.summary() for s in stations]
    unmet = [u["need"] for c in closures for u in c["unmet"]]
    unmet += [u["need"] for s in stations for u in s.unmet]
    margins = [_number(s.systems.kpis.get("min_survival_margin_h")) for s in stations]
    return {
        "basic_model_operating": campaign["basic_model_operating"],
        "p_basic_model_by_target": campaign["p_basic_model_by_target"],
        "first_launch": campaign["first_launch"],
        "campaign_status": campaign["status"],
        "stations": [s.location for s in stations],
        "landed_mass_kg": landed_mass_kg(plan),
        "node_mass_kg": node_mass_kg(plan),
        "min_survival_margin_h": min((m for m in margins if m is not None), default=None),
        "critical_energy_not_served_kwh": sum(
            float(s.systems.kpis["critical_energy_not_served_kwh"]) for s in stations
        ),
        "closed": all(c["closed"] for c in closures),
        "closure_fixes": sum(len(c["fixes"]) for c in closures),
        "unmet": unmet,
        "science_value": sum(float(s.science.schedule.value) for s in stations),
        "science_runs": sum(len(s.science.schedule.assignments) for s in stations),
        "cost_musd": launch_cost_musd(plan),
        "site_name": site.get("name"),
        "latitude_deg": site.get("latitude_deg"),
        "longitude_deg": site.get("longitude_deg"),
        "lit_percent": site.get("lit_percent"),
    }


def delivered_utilisation(science) -> dict[str, float]:
    """Per partner, the utilisation of its runs in the adopted schedule of ``science``."""
    from moonbase.science.solution import job_starts

    instance = science.instance
    placed = job_starts(instance, science.schedule) >= 0
    amounts = np.zeros(len(instance.partner_ids))
    np.add.at(amounts, instance.job_partner[placed], instance.utilisation[placed])
    return dict(zip(instance.partner_ids, amounts.tolist(), strict=True))


def partner_figures(plan) -> dict[str, dict]:
    """Per partner of the plan's scenario: :data:`PARTNER_FIGURES` (None where it has none)."""
    from moonbase.science.shares import shares_of

    stations = plan.stations
    shares = plan.science.shares()
    delivered = {pid: row.get("delivered_percent") for pid, row in shares.items()}
    if len(stations) > 1:  # the one share rule over every station's delivered utilisation
        amounts: dict[str, float] = {}
        for station in stations:
            for pid, amount in delivered_utilisation(station.science).items():
                amounts[pid] = amounts.get(pid, 0.0) + amount
        ids = list(amounts)
        combined = shares_of([amounts[pid] for pid in ids])
        delivered = {pid: 100.0 * float(v) for pid, v in zip(ids, combined, strict=True)}
    arrivals = plan.campaign.arrivals()
    owner = {e.id: e.partner for e in plan.scenario.elements}
    runs: dict[str, list[str]] = {}
    for station in stations:
        for assignment in station.science.schedule.assignments:
            runs.setdefault(assignment.partner, []).append(assignment.start_utc)
    exposure = plan.campaign.risk.partner_exposure().set_index("partner")
    out = {}
    for partner in plan.scenario.partners:
        pid = partner.id
        mine = [day for element, day in arrivals.items() if owner.get(element) == pid]
        dated = [day for day in mine if day is not None]
        starts = sorted(runs.get(pid, []))
        risk = exposure.loc[pid] if pid in exposure.index else None
        out[pid] = {
            "entitlement_percent": _number(shares.get(pid, {}).get("entitlement_percent")),
            "delivered_percent": _number(delivered.get(pid)),
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
