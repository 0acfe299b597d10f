"""Report sections of the site stage: the sky at the chosen cell, and the site map and ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from moonbase.report import Section

__all__ = ["environment_section", "environment_table", "site_section"]

#: The environment figure shows the first year of the chosen cell's series.
ENVIRONMENT_DAYS = 365


def environment_table(choice) -> pd.DataFrame:
    """Sun and Earth at the chosen cell: against its terrain horizon and, for comparison, flat.

    The Sun counts as up when any part of its disk is above the horizon, the Earth when its
    centre is (the site stage's definitions).
    """
    s = choice.series
    sun_top = s["sun_elevation_deg"] + s["sun_radius_deg"]
    rows = [
        ("Sun", s["lit"], sun_top > 0.0, s["sun_elevation_deg"]),
        ("Earth", s["earth_visible"], s["earth_elevation_deg"] > 0.0, s["earth_elevation_deg"]),
    ]
    return pd.DataFrame(
        [
            {
                "body": body,
                "above terrain horizon %": 100.0 * float(np.mean(terrain)),
                "above flat horizon %": 100.0 * float(np.mean(flat)),
                "min elevation deg": float(elevation.min()),
                "max elevation deg": float(elevation.max()),
            }
            for body, terrain, flat, elevation in rows
        ]
    ).round(3)


def environment_section(choice) -> Section:
    """The Sun and the Earth seen from the station's cell against its terrain horizon."""
    s = choice.series
    first = s.iloc[: ENVIRONMENT_DAYS * 24]
    figure = go.Figure()
    figure.add_scatter(
        x=first.index, y=first["sun_elevation_deg"], name="Sun", line={"color": "#e0a100"}
    )
    figure.add_scatter(
        x=first.index,
        y=first["horizon_at_sun_deg"],
        name="terrain horizon below the Sun",
        line={"color": "#7a5c00", "dash": "dot"},
    )
    figure.add_scatter(
        x=first.index, y=first["earth_elevation_deg"], name="Earth", line={"color": "#2a6fdb"}
    )
    figure.add_scatter(
        x=first.index,
        y=first["horizon_at_earth_deg"],
        name="terrain horizon below the Earth",
        line={"color": "#16396f", "dash": "dot"},
    )
    figure.add_hline(y=0.0, line_width=1, annotation_text="flat horizon (comparison)")
    figure.update_layout(yaxis_title="elevation, deg", height=400, margin={"t": 30, "b": 40})
    horizon = go.Figure(
        go.Scatterpolar(
            r=choice.horizon_deg,
            theta=np.arange(choice.horizon_deg.size) * 360.0 / choice.horizon_deg.size,
            mode="lines",
            fill="toself",
            name="horizon",
        )
    )
    horizon.update_layout(
        polar={"angularaxis": {"direction": "clockwise", "rotation": 90}},
        height=380,
        title="Terrain horizon of the station's cell (deg above horizontal; azimuth from north)",
    )
    return Section(
        "Environment: Sun and Earth at the station's cell",
        paragraphs=[
            f"Cell {choice.latitude_deg:.3f} deg, {choice.longitude_deg:.2f} deg E, ground "
            f"{choice.ground_m:.0f} m, eye {choice.mast_height_m:g} m above it; "
            f"{len(s):,} hourly epochs {s.index[0]:%Y-%m-%d} to {s.index[-1]:%Y-%m-%d}. DE421 "
            "with the DE421 lunar orientation (MOON_ME), apparent positions (light time and "
            "stellar aberration), against the cell's terrain horizon from "
            f"{choice.terrain.describe()}. The flat horizon is shown only as a comparison.",
        ],
        tables=[environment_table(choice)],
        figures=[figure, horizon],
    )


def site_section(choice) -> Section:
    """Where the station stands: the survey map, the ranking and the chosen cell's statistics."""
    summary = choice.summary
    m = choice.map
    table = pd.DataFrame([summary.as_dict()]).T.reset_index()
    table.columns = ["quantity", "value"]
    lit_map = go.Figure(
        go.Heatmap(
            z=m.lit_percent,
            x=m.x_km,
            y=m.y_km,
            colorscale="Cividis",
            colorbar={"title": "lit % (ground)"},
        )
    )
    shadow = np.where(m.permanent_shadow, 1.0, np.nan)
    lit_map.add_heatmap(
        z=shadow,
        x=m.x_km,
        y=m.y_km,
        colorscale=[[0, "#3050ff"], [1, "#3050ff"]],
        showscale=False,
        name="permanent shadow (0 m)",
    )
    best = choice.ranking.iloc[0]
    lit_map.add_scatter(
        x=[best["x_m"] / 1000.0],
        y=[best["y_m"] / 1000.0],
        mode="markers",
        marker={"symbol": "star", "size": 14, "color": "red"},
        name="station",
    )
    lit_map.update_layout(
        xaxis_title="x, km (polar stereographic)",
        yaxis_title="y, km",
        yaxis_scaleanchor="x",
        height=560,
        margin={"t": 30},
    )
    series = summary.series
    daily = series["sun_disk_fraction"].resample("1D").mean()
    light = go.Figure()
    light.add_scatter(x=daily.index, y=daily, name="visible solar disk, daily mean", mode="lines")
    light.update_layout(
        yaxis_title="fraction of the solar disk above the horizon",
        height=320,
        margin={"t": 30, "b": 40},
    )
    label = "SYNTHETIC terrain (not a real place)" if choice.terrain.synthetic else "Terrain"
    return Section(
        "Site: where the station stands, its light, darkness and Earth visibility",
        paragraphs=[
            f"{label}: {choice.terrain.describe()}. The station stands on the best-ranked cell "
            f"within {choice.search_radius_km:g} km of the scenario's site ({choice.site_name}); "
            f"the ranking uses {m.survey_step_h:g}-hourly statistics from {m.survey_start_utc} to "
            f"{m.survey_stop_utc} (light, longest darkness, Earth visibility, slope, distance to "
            "permanent shadow). Lit means any part of the solar disk above the local horizon; "
            "Earth visible means the Earth's centre above it; both at the mast height "
            f"{choice.mast_height_m:g} m. Permanent shadow (blue) is judged at ground level. "
            "The statistics below are the chosen cell's, hourly over the plan.",
        ],
        tables=[choice.ranking.round(3), table],
        figures=[lit_map, light],
    )
