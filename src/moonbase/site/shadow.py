"""Permanent shadow judged at ground level (0 m), whatever the mast height of the other maps.

Ice lies on the ground, so a permanently shadowed region (PSR) is where the *ground* never sees
the Sun. Light, darkness and Earth visibility are judged at the mast height instead, where the
arrays and antennas are. A higher eye never sees a higher horizon, so every cell never lit at
the mast is never lit at the ground either: only the cells lit at the mast need the ground's
horizons, and the result contains the mast's never-lit cells.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from moonbase.errors import InputError
from moonbase.site.geometry import check_horizon
from moonbase.site.visibility import Reference, VisibilityStats, visibility_statistics
from moonbase.time import Time

__all__ = ["ground_permanent_shadow"]


def ground_permanent_shadow(
    ground_horizon_deg,
    latitude_deg,
    longitude_deg,
    ground_m,
    times: Time,
    *,
    shadowed_at_mast=None,
    reference: Reference | None = None,
    statistics: Callable[..., VisibilityStats] | None = None,
) -> np.ndarray:
    """Cells never lit over ``times`` seen from the ground (boolean, the cells' shape ``S``).

    ``ground_horizon_deg``: ``S + (D,)`` horizons computed at 0 m above the ground;
    ``ground_m``: the ground's height above the 1737.4 km sphere. ``shadowed_at_mast``: the
    permanent shadow already found at a mast height (``VisibilityStats.permanent_shadow``); those
    cells are shadowed at the ground too and are not recomputed. ``reference``: the map's
    reference point (default: the cells' centroid). ``statistics``: the function that computes
    :class:`VisibilityStats` (default :func:`visibility_statistics`; pass a tiled one for big
    maps), called as ``statistics(horizon, lat, lon, height, times, reference=...)``.
    """
    horizon = check_horizon(ground_horizon_deg)
    shape = horizon.shape[:-1]
    lat, lon, ground = (
        np.broadcast_to(np.asarray(a, dtype=float), shape)
        for a in (latitude_deg, longitude_deg, ground_m)
    )
    known = (
        np.zeros(shape, dtype=bool)
        if shadowed_at_mast is None
        else np.asarray(shadowed_at_mast, dtype=bool)
    )
    if known.shape != shape:
        raise InputError(
            f"shadow map {known.shape} does not match the horizons' cells {shape}",
            field="shadowed_at_mast",
        )
    run = visibility_statistics if statistics is None else statistics
    if reference is None:
        from moonbase.site.visibility import map_reference

        reference = map_reference(lat, lon, ground)
    todo = ~known
    if not todo.any():
        return known.copy()
    if todo.all() or statistics is not None:
        # A tiled statistics function needs the whole (rows, cols) grid.
        stats = run(horizon, lat, lon, ground, times, reference=reference)
        return np.asarray(stats.permanent_shadow, dtype=bool) | known
    stats = run(horizon[todo], lat[todo], lon[todo], ground[todo], times, reference=reference)
    shadow = known.copy()
    shadow[todo] = stats.permanent_shadow
    return shadow
