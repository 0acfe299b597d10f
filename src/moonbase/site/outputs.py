"""Files a site analysis writes: CSV tables and PNG polar maps (GeoTIFFs via moonbase.terrain).

Every write is atomic (a temporary file beside the target, then ``os.replace``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from moonbase.io import atomic_path

__all__ = ["plot_polar_map", "write_csv"]


def write_csv(table: pd.DataFrame, path, *, index: bool = False) -> Path:
    """Write ``table`` as CSV atomically; return the path."""
    with atomic_path(path, suffix=".csv") as temporary:
        table.to_csv(temporary, index=index)
    return Path(path)


def plot_polar_map(
    values,
    x_m,
    y_m,
    path,
    *,
    title: str,
    label: str,
    sites: pd.DataFrame | None = None,
    cmap: str = "inferno",
    vmin: float | None = None,
    vmax: float | None = None,
    note: str | None = None,
) -> Path:
    """A map in south polar stereographic coordinates (km), the pole and ranked sites marked.

    ``x_m``/``y_m`` are the cell-centre coordinates ``(rows, cols)`` (rows run towards -y);
    ``sites`` a table with ``x_m``, ``y_m`` and ``rank`` columns (e.g. from ``rank_sites``).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=float)
    x_km, y_km = np.asarray(x_m) / 1000.0, np.asarray(y_m) / 1000.0
    dx = abs(x_km[0, 1] - x_km[0, 0]) if x_km.shape[1] > 1 else 1.0
    dy = abs(y_km[1, 0] - y_km[0, 0]) if y_km.shape[0] > 1 else 1.0
    extent = (
        x_km.min() - dx / 2,
        x_km.max() + dx / 2,
        y_km.min() - dy / 2,
        y_km.max() + dy / 2,
    )
    figure, axes = plt.subplots(figsize=(7.5, 6.5), dpi=110)
    try:
        image = axes.imshow(values, extent=extent, origin="upper", cmap=cmap, vmin=vmin, vmax=vmax)
        figure.colorbar(image, ax=axes, label=label, shrink=0.85)
        if extent[0] <= 0 <= extent[1] and extent[2] <= 0 <= extent[3]:
            axes.plot([0], [0], marker="+", color="cyan", markersize=12, mew=2)
            axes.annotate("S pole", (0, 0), color="cyan", xytext=(4, 4), textcoords="offset points")
        if sites is not None and len(sites):
            axes.scatter(
                sites["x_m"] / 1000.0,
                sites["y_m"] / 1000.0,
                s=60,
                facecolors="none",
                edgecolors="lime",
                linewidths=1.8,
            )
            for _, site in sites.iterrows():
                axes.annotate(
                    str(int(site["rank"])),
                    (site["x_m"] / 1000.0, site["y_m"] / 1000.0),
                    color="lime",
                    xytext=(5, 5),
                    textcoords="offset points",
                    fontsize=9,
                    fontweight="bold",
                )
        axes.set_xlabel("x (km, south polar stereographic, R = 1737.4 km)")
        axes.set_ylabel("y (km)")
        axes.set_title(title, fontsize=10)
        if note:
            figure.text(0.01, 0.01, note, fontsize=7, color="0.3")
        with atomic_path(path, suffix=".png") as temporary:
            figure.savefig(temporary, format="png")
    finally:
        plt.close(figure)
    return Path(path)
