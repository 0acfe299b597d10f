"""The campaign stage's report section: the plan as of its date, its Gantt chart and its risk."""

from __future__ import annotations

import pandas as pd

from moonbase.report import Section

__all__ = ["campaign_section", "risk_table"]


def _risk_row(summary: dict) -> dict:
    return {
        "P(basic model by target)": round(summary["probability_by_target"], 4),
        "completion p10": summary["completion_p10"],
        "completion p50": summary["completion_p50"],
        "completion p90": summary["completion_p90"],
        "never complete": round(summary["never_complete_fraction"], 4),
    }


def risk_table(outcome) -> pd.DataFrame:
    """The Monte Carlo summaries with and without programme slips and launch delays."""
    return pd.DataFrame(
        [
            {"model": "launch failures, slips and delays", **_risk_row(outcome.risk.summary())},
            {"model": "launch failures only", **_risk_row(outcome.risk_launch_only.summary())},
        ]
    )


def campaign_section(outcome) -> Section:
    """Who flies what, when, as of the plan's date, and how likely the plan is to hold."""
    result = outcome.result
    summary = outcome.risk.summary()
    launch_only = outcome.risk_launch_only.summary()
    history = outcome.history
    flown = ", ".join(f"{r.element} ({r.state} {r.launched_on})" for r in history.itertuples())
    return Section(
        "Campaign: who flies what, when, and how likely the plan is to hold",
        paragraphs=[
            f"Plan as of {outcome.as_of}: history (shown, never re-planned): {flown or 'none'}. "
            f"Nothing launches before {outcome.as_of}; the first launch is "
            f"{outcome.first_launch() or 'none'}.",
            f"CP-SAT plan ({result.status}): basic model operating from "
            f"{outcome.basic_model_operating()}; the greedy baseline's values are shown beside "
            "the optimised ones with CP-SAT's bound and gap per lexicographic stage. Landing "
            f"months: {outcome.daylight_source}.",
            f"Monte Carlo ({summary['runs']:,} runs, seed {summary['seed']}): probability that "
            f"the basic model is complete by {summary['target']} is "
            f"{100 * summary['probability_by_target']:.1f} % with launch failures, programme "
            f"slips and delays, {100 * launch_only['probability_by_target']:.1f} % with launch "
            "failures alone.",
        ],
        tables=[
            history,
            result.summary(),
            result.table(),
            risk_table(outcome),
            outcome.risk.partner_exposure(),
        ],
        figures=[result.gantt(), outcome.risk.figure()],
    )
