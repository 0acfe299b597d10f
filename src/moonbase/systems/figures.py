"""Plotly figure builders for the report: power, storage, life support, data."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["result_figures"]


def _decimate(series, max_points: int = 5000):
    step = max(1, len(series) // max_points)
    return series.iloc[::step]


def result_figures(result) -> dict:
    """Figures ``power``, ``storage``, ``life_support``, ``data`` from a SimulationResult.

    Long runs are decimated to about 5,000 points per trace (every k-th step).
    """
    s = _decimate(result.series)
    x = s.index
    power = go.Figure()
    for column, label in (
        ("pv_w", "PV"),
        ("fission_w", "fission"),
        ("demand_w", "demand"),
        ("served_w", "served"),
        ("unserved_w", "not served"),
    ):
        power.add_trace(go.Scatter(x=x, y=s[column] / 1000.0, name=label, mode="lines"))
    power.update_layout(title="Power", yaxis_title="kW", xaxis_title="UTC")

    storage = make_subplots(specs=[[{"secondary_y": True}]])
    for column in [c for c in s.columns if c.startswith("soc:")]:
        storage.add_trace(go.Scatter(x=x, y=s[column], name=column, mode="lines"))
    storage.add_trace(
        go.Scatter(
            x=x, y=s["survival_margin_h"].clip(upper=2000), name="survival margin (h)", mode="lines"
        ),
        secondary_y=True,
    )
    storage.update_layout(title="Storage state of charge and survival margin", xaxis_title="UTC")
    storage.update_yaxes(title_text="state of charge", secondary_y=False)
    storage.update_yaxes(title_text="hours on storage", secondary_y=True)

    life = go.Figure()
    for column in ("o2_stock_kg", "water_stock_kg", "food_stock_kg"):
        life.add_trace(go.Scatter(x=x, y=s[column], name=column.removesuffix("_kg"), mode="lines"))
    life.update_layout(title="Consumable stocks", yaxis_title="kg", xaxis_title="UTC")

    full = result.series
    data = go.Figure()
    for column in ("data_generated_gbit", "data_delivered_gbit", "data_lost_gbit"):
        data.add_trace(
            go.Scatter(
                x=_decimate(full[column].cumsum()).index,
                y=_decimate(full[column].cumsum()),
                name=column.removeprefix("data_").removesuffix("_gbit"),
                mode="lines",
            )
        )
    data.update_layout(title="Cumulative data volume", yaxis_title="Gbit", xaxis_title="UTC")
    return {"power": power, "storage": storage, "life_support": life, "data": data}
