"""The plan's report: each stage's own section, in the order the data flows."""

from __future__ import annotations

import json

import pandas as pd

from moonbase.report.html import Section, write_report

__all__ = ["plan_report", "plan_sections", "summary_section"]


def summary_section(plan) -> Section:
    """The headline figures of ``summary.json``, as tables."""
    summary = plan.summary()
    rows = []
    for part in ("terrain", "site", "campaign", "systems", "logistics", "closure", "orbit"):
        for key, value in (summary[part] or {}).items():
            shown = json.dumps(value) if isinstance(value, list | dict) else value
            rows.append({"stage": part, "quantity": key, "value": shown})
    science = summary["science"]
    rows += [
        {"stage": "science", "quantity": "runs", "value": science["runs"]},
        {"stage": "science", "quantity": "value", "value": science["value"]},
        {"stage": "science", "quantity": "data_made_gbit", "value": science["data_made_gbit"]},
        {"stage": "science", "quantity": "data_sent_gbit", "value": science["data_sent_gbit"]},
    ]
    unmet = summary["unmet"]
    if unmet:
        needs = "; ".join(
            f"{u['need']}: {u['amount']:,.3f} {u['unit']} ({u['cause']})" for u in unmet
        )
        closes = f"With the science schedule on board these needs are unmet: {needs}."
    else:
        closes = (
            "With the science schedule on board no need is unmet that science adds: no critical "
            "energy beyond the pass without science, no science run shed, no science data lost, "
            "no run without its consumables."
        )
    shares = pd.DataFrame(science["shares"]).T.reset_index(names="partner").round(2)
    return Section(
        "Summary",
        paragraphs=[
            f"Plan as of {summary['as_of']} (UTC) of scenario {summary['scenario']!r}, made in "
            f"{summary['runtime_s']:.0f} s. The same figures are in summary.json.",
            closes,
        ],
        tables=[pd.DataFrame(rows), shares],
    )


def plan_sections(plan) -> list[Section]:
    """Summary, scenario, the places (environment and site; orbit node), campaign, and each
    station's systems, logistics, closure and science sections."""
    from moonbase.scenario.report import scenario_section
    from moonbase.site.report import environment_section

    places = []
    for station in plan.stations:
        if station.location == "site":
            places += [environment_section(station.place), station.place.section()]
        else:
            places.append(station.place.section())
    sections = [summary_section(plan), scenario_section(plan.scenario), *places]
    sections.append(plan.campaign.section())
    for station in plan.stations:
        parts = station.sections()
        if len(plan.stations) > 1:
            where = "surface base" if station.location == "site" else "orbit node"
            for part in parts:
                part.title = f"{part.title} ({where})"
        sections += parts
    return sections


def plan_report(plan, path):
    """Write the plan's self-contained HTML report to ``path`` (atomically); returns the path."""
    terrain = plan.site.terrain
    if terrain is None:
        label = "in lunar orbit (no terrain)"
    else:
        terrain_label = (
            "SYNTHETIC terrain (not a real place)" if terrain.synthetic else "real terrain"
        )
        label = f"on {terrain_label}"
    return write_report(
        path,
        f"moonbase: {plan.scenario.name}",
        plan_sections(plan),
        subtitle=f"Plan as of {plan.as_of}; station {plan.site.site_name} {label}.",
    )
