"""Partner what-if: what changes for every partner, and for the station, against the baseline.

:func:`partner_changes` sets a what-if variant's per-partner figures (dates, entitlement,
delivered share, runs, risk: :data:`moonbase.study.figures.PARTNER_FIGURES`) beside the
baseline's; :func:`station_changes` does the same for the station-wide figures (the basic model's
date, the survival margin, the closure, the science value). Numbers get their difference, dates
their shift in days.
"""

from __future__ import annotations

from datetime import date

__all__ = ["STATION_FIGURES", "partner_changes", "station_changes"]

#: The station-wide figures a what-if compares, with their labels.
STATION_FIGURES = {
    "basic_model_operating": "basic model operating",
    "p_basic_model_by_target": "P(basic model by target)",
    "min_survival_margin_h": "survival margin (h)",
    "critical_energy_not_served_kwh": "critical energy not served (kWh)",
    "closed": "closed",
    "closure_fixes": "closure fixes",
    "landed_mass_kg": "mass landed (kg)",
    "node_mass_kg": "mass at the node (kg)",
    "science_value": "science value",
    "science_runs": "science runs",
    "cost_musd": "cost (M$)",
}


def change(before, after):
    """``after - before`` for numbers, the shift in days for ISO dates, else None."""
    if before is None or after is None or isinstance(before, bool) or isinstance(after, bool):
        return None
    if isinstance(before, str) and isinstance(after, str):
        try:
            return (date.fromisoformat(after) - date.fromisoformat(before)).days
        except ValueError:
            return None
    if isinstance(before, int | float) and isinstance(after, int | float):
        return after - before
    return None


def partner_changes(baseline, variant) -> dict[str, dict[str, dict]]:
    """Per partner (the baseline's, then any new ones): each figure's before, after, change.

    A partner absent from one side (it joined, or was dropped) has None there.
    """
    from moonbase.study.figures import PARTNER_FIGURES

    partners = list(baseline.partners) + [p for p in variant.partners if p not in baseline.partners]
    out = {}
    for pid in partners:
        before = baseline.partners.get(pid, {})
        after = variant.partners.get(pid, {})
        out[pid] = {
            name: {
                "before": before.get(name),
                "after": after.get(name),
                "change": change(before.get(name), after.get(name)),
            }
            for name in PARTNER_FIGURES
        }
    return out


def station_changes(baseline, variant) -> dict[str, dict]:
    """The station-wide figures (:data:`STATION_FIGURES`): before, after and change."""
    return {
        name: {
            "before": baseline.figures.get(name),
            "after": variant.figures.get(name),
            "change": change(baseline.figures.get(name), variant.figures.get(name)),
        }
        for name in STATION_FIGURES
    }
