"""Report section for science utilisation: Gantt chart per partner, delivered share vs entitlement,
science data against the downlink (and the data buffer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from moonbase.report.html import Section
from moonbase.science.buffer import levels
from moonbase.science.instance import Instance
from moonbase.science.solution import Schedule, delivered_shares, job_starts, resource_use

__all__ = [
    "downlink_figure",
    "percent_below",
    "schedule_gantt",
    "science_section",
    "share_figure",
    "share_table",
]


def percent_below(bound: float, value: float) -> float:
    """How far ``value`` lies below ``bound``, in percent of the bound."""
    return 100.0 * (bound - value) / max(bound, 1e-9)


def schedule_gantt(schedule: Schedule, *, max_runs: int = 3000) -> go.Figure:
    """Timeline of scheduled runs, one row per partner (the first ``max_runs`` runs by start)."""
    runs = sorted(schedule.assignments, key=lambda a: a.start_bucket)[:max_runs]
    figure = go.Figure()
    partners = sorted({a.partner for a in runs})
    for partner in partners:
        mine = [a for a in runs if a.partner == partner]
        starts = pd.to_datetime([a.start_utc for a in mine])
        ends = pd.to_datetime([a.end_utc for a in mine])
        figure.add_trace(
            go.Bar(
                name=partner,
                y=[partner] * len(mine),
                base=starts,
                x=(ends - starts).total_seconds() * 1000.0,  # milliseconds on a date axis
                orientation="h",
                text=[f"{a.request_id} #{a.repeat}" for a in mine],
                hovertemplate="%{text}<br>%{base|%Y-%m-%d} + %{x:.3s} ms<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="overlay",
        title=f"Scheduled runs per partner ({len(runs)} of {len(schedule.assignments)})",
        xaxis={"type": "date", "title": "UTC"},
        yaxis={"title": "partner"},
        showlegend=False,
        height=200 + 24 * len(partners),
    )
    return figure


def downlink_figure(instance: Instance, schedule: Schedule) -> go.Figure | None:
    """Per bucket: the downlink, the data the schedule's runs make, and (with a data buffer)
    the data waiting in it; None when the downlink is not a constrained resource."""
    if "downlink_mbit" not in instance.resource_names:
        return None
    r = instance.resource_names.index("downlink_mbit")
    starts = job_starts(instance, schedule)
    made = resource_use(instance, starts, np.flatnonzero(starts >= 0))[r]
    downlink = instance.capacity[r]
    times = pd.date_range(
        instance.problem.resources.start_utc,
        periods=instance.n_buckets,
        freq=pd.Timedelta(hours=instance.bucket_hours),
    )
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=times, y=downlink / 1000.0, name="downlink", line_shape="hv"))
    figure.add_trace(go.Scatter(x=times, y=made / 1000.0, name="data made", line_shape="hv"))
    title = "Science data and downlink per bucket"
    if instance.buffered is not None:
        waiting = levels(downlink - made)
        figure.add_trace(go.Scatter(x=times, y=waiting / 1000.0, name="waiting in the buffer"))
        figure.add_hline(
            y=instance.data_buffer_mbit / 1000.0,
            line_dash="dot",
            annotation_text="buffer",
        )
        title += f" ({instance.data_buffer_mbit / 1000.0:g} Gbit buffer)"
    figure.update_layout(title=title, xaxis={"title": "UTC"}, yaxis={"title": "Gbit"})
    return figure


def share_table(instance: Instance, schedules: dict[str, Schedule]) -> pd.DataFrame:
    """Entitlement and delivered share (whole campaign) per partner, one column per schedule."""
    table = pd.DataFrame(
        {"partner": instance.partner_ids, "entitlement %": 100 * instance.entitlement}
    )
    for name, schedule in schedules.items():
        shares = delivered_shares(instance, schedule)
        table[f"{name} %"] = [100 * float(shares[p][0]) for p in instance.partner_ids]
    return table.round(2)


def share_figure(instance: Instance, schedules: dict[str, Schedule]) -> go.Figure:
    """Grouped bars: entitlement and each schedule's delivered share, per partner."""
    table = share_table(instance, schedules)
    figure = go.Figure()
    for column in table.columns[1:]:
        figure.add_trace(go.Bar(name=column, x=table["partner"], y=table[column]))
    figure.update_layout(
        barmode="group", title="Delivered share vs entitlement", yaxis={"title": "%"}
    )
    return figure


def science_section(
    instance: Instance, schedules: dict[str, Schedule], lp_bound: float | None = None
) -> Section:
    """A report :class:`Section`: summary, share table, share figure, Gantt of the first schedule
    (with ``lp_bound``, each schedule's distance below it)."""
    first = next(iter(schedules.values()))
    lines = [] if lp_bound is None else [f"LP bound on the weighted value: {lp_bound:,.1f}."]
    for name, schedule in schedules.items():
        gap = "" if schedule.gap is None else f", {100 * schedule.gap:.2f} % from the solver bound"
        if lp_bound is not None:
            gap += f", {percent_below(lp_bound, schedule.value):.2f} % below the LP bound"
        lines.append(
            f"{name}: {len(schedule.assignments)} runs, weighted value {schedule.value:,.1f}"
            f"{gap}, {schedule.wall_s:.1f} s."
        )
    if instance.buffered is not None:
        lines.append(
            f"Science data wait for the downlink in {instance.data_buffer_mbit / 1000.0:,g} Gbit "
            "of onboard storage."
        )
    if instance.rejections:
        n = len(instance.rejections)
        lines.append(f"{n} request{' was' if n == 1 else 's were'} rejected as malformed.")
    rejected = pd.DataFrame(
        [r.model_dump() for r in instance.rejections], columns=["request_id", "field", "reason"]
    )
    tables = [share_table(instance, schedules)]
    if len(rejected):
        tables.append(rejected)
    figures = [share_figure(instance, schedules)]
    if first.assignments:
        figures.append(schedule_gantt(first))
        downlink = downlink_figure(instance, first)
        if downlink is not None:
            figures.append(downlink)
    return Section(
        title="Science utilisation",
        paragraphs=[" ".join(lines)],
        tables=tables,
        figures=figures,
    )
