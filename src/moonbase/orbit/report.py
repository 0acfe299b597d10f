"""The orbit stage's report section: the node's phase, eclipses by body and year, insertion."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from moonbase.report import Section

__all__ = ["STAGE_DIFFERENCES", "node_section"]

#: How each stage treats an orbital station differently from a surface base, and why.
STAGE_DIFFERENCES = (
    "site -> orbit stage: no terrain and no cell to choose; the light is the node's eclipses by "
    "the Earth and the Moon at the orbit's phase, chosen for the whole campaign so that the "
    "longest eclipse is shortest",
    "campaign: no landing-daylight rule (nothing lands); an element reaches the node with its "
    "TLI mass less the insertion propellant, so flights carry less cargo there than their TLI "
    "capacity left",
    "systems: sun-pointing arrays (full incidence whenever lit), batteries through eclipses of "
    "about an hour instead of lunar nights of days; no relays: the Earth is in view except "
    "behind the Moon",
    "logistics and closure: the same stores, manifests and fixes, with cargo and added storage "
    "counted at the node's delivered fraction",
    "science: only experiments hosted on node elements; sunlit, dark and Earth windows are the "
    "node's",
)


def node_section(node) -> Section:
    """Phase choice, eclipses by body and year, Earth visibility and insertion of ``node``."""
    e = node.eclipses
    figures = node.figures_summary()
    paragraphs = [
        f"The station's orbit node {node.site_name!r} ({node.spec.family}) is flown at phase "
        f"{node.spec.phase:.4f} of a period past apolune at its epoch"
        + (
            f", chosen among {len(node.scan.phases)} phases for the whole span: its longest "
            f"eclipse is {figures['eclipse_max_min']:.1f} min"
            + (
                f" (the scenario's phase {node.default_phase:g} would give "
                f"{figures['default_phase_eclipse_max_min']:.1f} min)"
                if figures["default_phase_eclipse_max_min"] is not None
                else ""
            )
            if node.scan is not None
            else f", the scenario's; its longest eclipse is {figures['eclipse_max_min']:.1f} min"
        )
        + f". Over the span it meets {len(e.eclipses)} eclipses: the Earth's shadow's longest "
        f"{figures['earth_eclipse_max_min']:.1f} min, the Moon's {figures['moon_eclipse_max_min']:.1f} "
        f"min (penumbral: any part of the Sun hidden; an hour partly eclipsed counts as dark for "
        f"the arrays). The Earth is in view {node.summary.earth_visible_percent:.2f} % of the hours.",
        f"Elements reach the node from a direct TLI with an insertion of "
        f"{node.insertion_delta_v_km_s * 1000:.0f} m/s at {node.insertion_isp_s:g} s: "
        f"{100 * node.delivered_fraction:.1f} % of the TLI mass arrives. A 1 kW survival load "
        f"needs {node.battery_for_longest_eclipse_wh(1000.0) / 1000.0:.2f} kWh of storage for the "
        "longest eclipse (depth of discharge 0.8, round trip 0.9).",
        "How the stages differ from a surface base: " + "; ".join(STAGE_DIFFERENCES) + ".",
    ]
    years = pd.DataFrame(e.by_year()).T.reset_index(names="year")
    tables = [years.round(2)]
    plots = []
    if node.scan is not None:
        scan = node.scan
        fig = go.Figure()
        for values, label in (
            (scan.eclipse_max_min, "either body"),
            (scan.earth_eclipse_max_min, "Earth's shadow"),
            (scan.moon_eclipse_max_min, "Moon's shadow"),
        ):
            fig.add_trace(go.Scatter(x=scan.phases, y=values, mode="lines+markers", name=label))
        fig.add_vline(x=scan.best_phase, line_dash="dot")
        fig.update_layout(
            title="Longest eclipse over the span by phase (the chosen phase dotted)",
            xaxis_title="phase (fraction of a period past apolune at the epoch)",
            yaxis_title="min",
        )
        plots.append(fig)
    return Section(f"Orbit node: {node.site_name}", paragraphs, tables=tables, figures=plots)
