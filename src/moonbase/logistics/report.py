"""The logistics stage's report section: manifests, stores over time against their reserves."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from moonbase.logistics.commodities import COMMODITIES
from moonbase.report import Section

__all__ = ["logistics_section", "stores_figure"]


def stores_figure(logistics, run, *, max_points: int = 4000) -> go.Figure:
    """Each store's level over ``run`` with its reserve (daily values where the run is long)."""
    series = run.simulation.series
    step = max(1, len(series) // max_points)
    rows = [c for c in COMMODITIES if f"{c.id}_stock_kg" in series]
    figure = make_subplots(
        rows=len(rows), cols=1, shared_xaxes=True, subplot_titles=[c.name for c in rows]
    )
    x = series.index[::step]
    for i, c in enumerate(rows, start=1):
        figure.add_trace(
            go.Scatter(
                x=x, y=series[f"{c.id}_stock_kg"].to_numpy()[::step], name=c.id, mode="lines"
            ),
            row=i,
            col=1,
        )
        reserve = logistics.demand.reserve_kg.get(c.id)
        if reserve is not None and reserve.any():
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=reserve[::step],
                    name=f"{c.id} reserve",
                    mode="lines",
                    line={"dash": "dot"},
                ),
                row=i,
                col=1,
            )
        figure.update_yaxes(title_text="kg", row=i, col=1)
    figure.update_layout(
        title="Stores over time (kg) and their reserves", height=180 * len(rows) + 120
    )
    return figure


def logistics_section(logistics, run) -> Section:
    """Manifests on the flights to the station, the stores they keep, and what is short."""
    summary = logistics.summary(run)
    paragraphs = [
        "Logistics after SpaceNet: each store (O2, water, food, make-up gas, spares, science "
        "consumables) has a demand model (crew consumables as the twin draws them from BVAD "
        "per-crew figures, loop closures and cabin leakage; spares from each component's MTBF "
        "and MTTR; science consumables from the scheduled runs), and every flight that lands "
        "at the station carries a manifest on the capacity its elements leave (TLI capacity "
        "less their TLI masses, times the launcher's landed fraction). A linear programme "
        "fills the manifests so that each critical store holds its reserve "
        f"({logistics.reserve_days:g} days of current consumption) at every hour, with the "
        "least extra mass first, then the least mass carried, on the latest flights that bring "
        "it in time (earlier flights keep their room); the twin then runs with the manifests "
        "on board, so the stores below are its own, balanced exactly.",
        f"{summary['carriers']} flights land at the station with "
        f"{summary['spare_capacity_kg']:,.0f} kg of spare capacity in all; "
        f"{summary['flights_with_manifests']} carry manifests: "
        + ", ".join(
            f"{kg:,.0f} kg of {key}" for key, kg in summary["manifested_kg"].items() if kg > 0
        )
        + ".",
    ]
    for s in logistics.shortfalls:
        paragraphs.append(
            f"Short: {s.commodity}, {s.mass_kg:,.1f} kg more needed by "
            f"{s.by_utc:%Y-%m-%d %H:%M} UTC, which no flight's spare capacity can bring."
        )
    for s in logistics.check(run):
        paragraphs.append(
            f"The twin's {s.commodity} store falls {s.mass_kg:,.1f} kg below its reserve "
            f"from {s.by_utc:%Y-%m-%d %H:%M} UTC."
        )
    if summary.get("repairs_waiting_h", 0.0) > 0:
        paragraphs.append(
            f"Repairs waited {summary['repairs_waiting_h']:,.0f} h in all for spares to arrive."
        )
    table = logistics.table()
    loaded = table[table["manifested_kg"] > 0].round(1)
    balance = logistics.balance(run)
    balance[["inflow", "outflow", "stored_change"]] = balance[
        ["inflow", "outflow", "stored_change"]
    ].round(3)
    return Section(
        "Logistics: manifests and stores",
        paragraphs,
        tables=[loaded, balance],
        figures=[stores_figure(logistics, run)],
    )
