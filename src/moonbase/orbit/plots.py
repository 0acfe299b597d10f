"""Figures for an orbit node: 3-D orbit (plotly HTML), eclipse and contact timeline (PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moonbase.constants import MOON_RADIUS_KM
from moonbase.io import atomic_path
from moonbase.orbit.analysis import OrbitReport

__all__ = ["orbit_3d_html", "timeline_png"]


def orbit_3d_html(path, states_km: np.ndarray, title: str) -> Path:
    """Self-contained plotly HTML of a Moon-centred trajectory ``(>=3, N)`` with the Moon."""
    import plotly.graph_objects as go

    u, v = np.mgrid[0 : 2 * np.pi : 40j, 0 : np.pi : 20j]
    r = MOON_RADIUS_KM
    fig = go.Figure(
        [
            go.Surface(
                x=r * np.cos(u) * np.sin(v),
                y=r * np.sin(u) * np.sin(v),
                z=r * np.cos(v),
                showscale=False,
                colorscale="Greys",
                opacity=0.8,
                name="Moon",
            ),
            go.Scatter3d(
                x=states_km[0], y=states_km[1], z=states_km[2], mode="lines", name="orbit"
            ),
        ]
    )
    fig.update_layout(
        title=title,
        scene={
            "aspectmode": "data",
            "xaxis_title": "x km (ICRF)",
            "yaxis_title": "y km",
            "zaxis_title": "z km",
        },
    )
    with atomic_path(path, suffix=".html") as tmp:
        fig.write_html(str(tmp), include_plotlyjs=True)
    return Path(path)


def timeline_png(path, report: OrbitReport, title: str) -> Path:
    """PNG timeline: eclipses, Earth in view, site contact and relay windows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        ("eclipse", report.eclipses, "black"),
        ("Earth in view", report.earth_in_view, "tab:blue"),
    ]
    if report.site_contact is not None:
        rows += [
            ("site contact", report.site_contact, "tab:green"),
            ("relay site-Earth", report.relay, "tab:orange"),
        ]
    fig, ax = plt.subplots(figsize=(11, 1.0 + 0.6 * len(rows)))
    for k, (_label, windows, colour) in enumerate(rows):
        spans = [
            ((a - report.start_s) / 86400.0, (b - a) / 86400.0)
            for a, b in zip(windows.start, windows.stop, strict=True)
        ]
        # Very short windows would vanish: draw at least 0.05 day wide.
        spans = [(a, max(w, 0.05)) for a, w in spans]
        ax.broken_barh(spans, (k - 0.4, 0.8), color=colour)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_xlabel("days from start")
    ax.set_xlim(0, report.span_s / 86400.0)
    ax.set_title(title)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return Path(path)
