"""Plotly figures: the campaign Gantt chart and the Monte Carlo completion distribution."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from moonbase.campaign.model import CampaignInstance
from moonbase.campaign.plan import CampaignPlan

__all__ = ["gantt_figure", "risk_figure"]


def gantt_figure(instance: CampaignInstance, plan: CampaignPlan, *, title: str = "") -> go.Figure:
    """One bar per element from launch to operating and on to the window end, by partner.

    The dark part of a bar is commissioning (launch to operating); the light part is operation.
    Basic-model elements are marked with a star in the label.
    """
    table = plan.table(instance).dropna(subset=["launch_date"])
    end = np.datetime64(instance.bucket_starts[-1], "ms")
    figure = go.Figure()
    partners = sorted(table["partner"].unique()) if len(table) else []
    palette = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    for k, partner in enumerate(partners):
        rows = table[table["partner"] == partner]
        labels = [
            f"{'* ' if b else ''}{e} ({f})"
            for e, b, f in zip(rows["element"], rows["basic_model"], rows["flight"], strict=True)
        ]
        launch = rows["launch_date"].to_numpy("datetime64[ms]")
        ready = rows["operating_date"].to_numpy("datetime64[ms]")
        color = palette[k % len(palette)]
        figure.add_bar(
            y=labels,
            x=(ready - launch).astype(np.int64),
            base=launch,
            orientation="h",
            marker_color=color,
            name=partner,
            legendgroup=partner,
            hovertemplate="%{y}<br>launch %{base|%Y-%m}<extra>" + partner + "</extra>",
        )
        figure.add_bar(
            y=labels,
            x=(end - ready).astype(np.int64),
            base=ready,
            orientation="h",
            marker_color=color,
            opacity=0.3,
            showlegend=False,
            legendgroup=partner,
            hovertemplate="%{y}<br>operating from %{base|%Y-%m}<extra></extra>",
        )
    if instance.basic_model_target is not None:
        figure.add_vline(
            x=np.datetime64(instance.basic_model_target, "ms").astype(np.int64),
            line_dash="dash",
            line_color="black",
        )
    order = [
        f"{'* ' if b else ''}{e} ({f})"
        for e, b, f in zip(table["element"], table["basic_model"], table["flight"], strict=True)
    ]  # the table is sorted by launch date: bars read top to bottom in time
    figure.update_yaxes(categoryorder="array", categoryarray=order)
    figure.update_layout(
        title=title or f"Campaign plan: {instance.name} (* basic model; dashed: target)",
        barmode="overlay",
        xaxis={"type": "date", "title": "date"},
        yaxis={"autorange": "reversed"},
        height=max(320, 28 * len(table) + 120),
        margin={"l": 220, "t": 50, "b": 40},
    )
    return figure


def risk_figure(result) -> go.Figure:
    """Histogram and cumulative probability of the basic-model completion date over the runs."""
    dates = result.completion_dates()
    done = np.sort(dates[~np.isnat(dates)])
    figure = go.Figure()
    figure.add_histogram(
        x=done.astype("datetime64[ms]").astype(np.int64),
        name="runs",
        xbins={"size": 365.25 / 4 * 86400e3},
        marker_color="#2a6fdb",
        opacity=0.6,
    )
    if len(done):
        cumulative = np.arange(1, len(done) + 1) / result.n_runs
        figure.add_scatter(
            x=done.astype("datetime64[ms]").astype(np.int64),
            y=cumulative,
            yaxis="y2",
            name="P(complete by date)",
            line={"color": "black"},
        )
    target = np.datetime64(result.config.target, "ms").astype(np.int64)
    figure.add_vline(x=target, line_dash="dash")
    figure.update_layout(
        title=(
            f"Basic-model completion over {result.n_runs:,} runs: "
            f"P(by {result.config.target}) = {result.probability_by():.1%}"
        ),
        xaxis={"type": "date", "title": "completion date"},
        yaxis={"title": "runs per quarter"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1], "title": "probability"},
        height=400,
        margin={"t": 50, "b": 40},
    )
    return figure
