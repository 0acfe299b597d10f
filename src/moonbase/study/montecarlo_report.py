"""The report's section on the whole plan under risk: tables and plotly figures of a PlanRisk."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from moonbase.report.html import Section

__all__ = [
    "plan_risk_section",
    "probability_figure",
    "share_figure",
    "value_figure",
    "write_plan_risk",
]


def _colour(i: int) -> str:
    palette = qualitative.Plotly
    return palette[i % len(palette)]


def probability_figure(risk) -> go.Figure:
    """Per partner, P(delivered share >= fraction of its fair share) by year, one panel per
    fraction."""
    fractions = risk.config.fractions
    figure = make_subplots(
        rows=1,
        cols=len(fractions),
        shared_yaxes=True,
        subplot_titles=[f">= {100 * f:g} % of fair share" for f in fractions],
    )
    years = risk.years.tolist()
    for col, fraction in enumerate(fractions, start=1):
        table = risk.probability_at_least(fraction)
        for i, partner in enumerate(risk.partners):
            values = table.loc[partner].to_numpy(dtype=float)
            if np.isnan(values).all():
                continue
            figure.add_scatter(
                x=years,
                y=values,
                mode="lines+markers",
                name=partner,
                legendgroup=partner,
                showlegend=col == 1,
                line={"color": _colour(i)},
                row=1,
                col=col,
            )
    figure.update_yaxes(range=[0, 1.02], title_text="probability", row=1, col=1)
    figure.update_xaxes(title_text="runs counted up to the end of year")
    figure.update_layout(
        title=f"Each partner's science by year over {risk.n_runs:,} samples of the whole plan",
        height=420,
        margin={"t": 80, "b": 40},
    )
    return figure


def share_figure(risk) -> go.Figure:
    """Distribution of each partner's delivered share over the samples (whole span), with its
    fair share and its entitlement; partners with neither are left out."""
    share = 100.0 * risk.delivered_share()
    figure = go.Figure()
    shown = [
        i
        for i in range(len(risk.partners))
        if np.nan_to_num(risk.fair_share[i]) > 0 or np.nan_to_num(risk.entitlement[i]) > 0
    ]
    names = [risk.partners[i] for i in shown]
    for i in shown:
        partner = risk.partners[i]
        q = np.percentile(share[:, i], [0, 5, 25, 50, 75, 95, 100])
        figure.add_box(
            x=[partner],
            q1=[q[2]],
            median=[q[3]],
            q3=[q[4]],
            lowerfence=[q[1]],
            upperfence=[q[5]],
            mean=[float(share[:, i].mean())],
            name=partner,
            marker_color=_colour(i),
            showlegend=False,
        )
    figure.add_scatter(
        x=names,
        y=100.0 * np.nan_to_num(risk.fair_share[shown]),
        mode="markers",
        name="fair share",
        marker={"symbol": "diamond", "size": 10, "color": "black"},
    )
    figure.add_scatter(
        x=names,
        y=100.0 * np.nan_to_num(risk.entitlement[shown]),
        mode="markers",
        name="entitlement",
        marker={"symbol": "x", "size": 9, "color": "#b03030"},
    )
    figure.update_layout(
        title="Delivered share over the whole span: boxes 25-75 %, whiskers 5-95 %",
        yaxis={"title": "share of utilisation (%)"},
        height=420,
        margin={"t": 50, "b": 40},
    )
    return figure


def value_figure(risk) -> go.Figure:
    """Histogram of the science value over the samples, with the plan's fair greedy's."""
    figure = go.Figure()
    figure.add_histogram(x=risk.science_value, name="samples", marker_color="#2a6fdb")
    figure.add_vline(x=risk.nominal_value, line_dash="dash", annotation_text="plan")
    figure.update_layout(
        title="Science value of the re-planned programme over the samples",
        xaxis={"title": "value (weighted runs)"},
        yaxis={"title": "samples"},
        height=360,
        margin={"t": 50, "b": 40},
    )
    return figure


def plan_risk_section(risk) -> Section:
    """Paragraphs, tables and figures of a :class:`~moonbase.study.montecarlo.PlanRisk`."""
    s = risk.summary()
    station = s["station"]
    what = []
    what.append("launch failures" if risk.config.launch_failures else "no launch failures")
    what.append(
        "programme slips and launch delays"
        if risk.campaign.config.slip_probability > 0
        or risk.campaign.config.launch_delay_mean_months
        else "no slips or delays"
    )
    what.append("component failures" if risk.config.component_failures else "no component failures")
    replan = (
        "the science programme re-planned on each sampled station by the fair greedy "
        "(one pass over the runs toward the plan's fair shares; CP-SAT is too slow to repeat "
        "per sample)"
        if risk.config.replan_science
        else "the plan's own fair-greedy schedule kept on every sample (not re-planned)"
    )
    where = "in process" if s["workers"] == 0 else f"{s['workers']} Dask workers"
    return Section(
        "The whole plan under risk",
        paragraphs=[
            f"{s['runs']:,} samples of the whole plan (seed {s['seed']}, {where}, "
            f"{s['samples_per_s']:.3g} samples/s): {', '.join(what)}; each sample "
            "builds the station from the elements that arrive, with the manifests of their "
            f"flights, runs the twin and has {replan}.",
            f"The basic model operates by {station['target']} in "
            f"{100 * station['p_basic_model_by_target']:.1f} % of samples; the station serves "
            "all its critical energy in "
            f"{100 * station['p_critical_energy_served']:.1f} % of them.",
            "A partner's delivered share by a year counts the runs that start up to the end of "
            "that year. Its fair share is its entitlement capped at what it asks for (the "
            "science stage's target); a share short of the fraction asked about by at most "
            f"{100 * risk.config.share_tolerance:g} % of it meets it, and a partner that gets "
            "nothing never does. The plan's columns are the "
            f"adopted schedule ({risk.plan_solver}) and its fair greedy on the plan's station.",
        ],
        tables=[
            risk.station_table(),
            risk.partner_table().round(3),
            risk.probability_table().round(3),
        ],
        figures=[probability_figure(risk), share_figure(risk), value_figure(risk)],
    )


def write_plan_risk(risk, out) -> list:
    """Write ``risk``'s report page, summary and tables under ``out``, each file atomically.

    ``plan_risk.html`` (the section as a self-contained page), ``plan_risk.json``
    (:meth:`~moonbase.study.montecarlo.PlanRisk.summary`), ``plan_risk_station.csv``,
    ``plan_risk_partners.csv`` and ``plan_risk_probabilities.csv``.
    """
    import json
    from pathlib import Path

    from moonbase.io import atomic_path, write_text_atomic
    from moonbase.report.html import write_report

    out = Path(out)
    files = [
        write_text_atomic(
            out / "plan_risk.json", json.dumps(risk.summary(), indent=2, allow_nan=False) + "\n"
        )
    ]
    for name, frame in (
        ("plan_risk_station.csv", risk.station_table()),
        ("plan_risk_partners.csv", risk.partner_table()),
        ("plan_risk_probabilities.csv", risk.probability_table()),
    ):
        with atomic_path(out / name) as temporary:
            frame.to_csv(temporary, index=False, float_format="%.6g")
        files.append(out / name)
    files.append(
        Path(
            write_report(
                out / "plan_risk.html",
                f"{risk.scenario}: the whole plan under risk",
                [plan_risk_section(risk)],
                subtitle=f"Plan as of {risk.as_of}.",
            )
        )
    )
    return files
