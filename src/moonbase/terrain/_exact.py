"""Exact-azimuth refinement: each cell's horizon along its own local azimuths, from swept candidates.

The profile sweep (:mod:`moonbase.terrain._sweep`) runs along uniform grid bearings, but the grid
bearing of a local azimuth turns with longitude, so a cell's azimuths generally fall between two
swept bearings. Interpolating the swept horizons in bearing errs by up to ~1 deg next to sharp
features. Instead, every (cell, azimuth) is evaluated on the *exact* ray of that azimuth, sampled
as :mod:`moonbase.terrain._march` samples it, but only at a few distances:

- the first ``near`` steps (the near field, where the horizon changes fastest with azimuth);
- the last two steps inside the grid (often the horizon looking downhill over a convex surface);
- ``spread`` steps either side of the distances recorded by the sweep at the two bracketing
  bearings: the horizon vertices of the profile lines on both sides of the cell and their close
  hull neighbours (up to twelve candidate distances, mostly overlapping).

The rays are parametrised with the march's own arithmetic (bearing = azimuth + longitude, then
its sine and cosine), so that rays through pixel corners end on the same sample. The result
equals the brute-force march whenever the exact ray's horizon lies within those samples, and is
otherwise an underestimate: a narrow feature that none of the four lines sees as (or next to) its
horizon, but the exact ray, passing a fraction of a pixel aside, does. Its error is measured
against the march in ``tests/terrain`` and ``benchmarks/bench_horizon.py``.

Cost: about 30 samples per cell and azimuth at 512 x 512 (half of them the near field), against
the march's few hundred.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _ray_key(grid, r, c, by_columns, step, t, s, ox, oy, oz):
    """Elevation key of the exact ray's sample ``s`` steps from cell (r, c) (inside the grid).

    The sample is interpolated linearly across the minor axis, and takes the outer row (column)
    up to half a pixel beyond it, as in :mod:`moonbase.terrain._march`. The key
    ``(d.o) |d.o| / |d|^2`` equals ``sin(e) |sin(e)| |o|^2`` for the elevation e of the sample
    seen from observer o, so it orders like the elevation without a square root.
    """
    if by_columns:
        minor = r + t * s
        n_minor = grid.shape[0]
    else:
        minor = c + t * s
        n_minor = grid.shape[1]
    i0 = min(max(math.floor(minor), 0), n_minor - 2)
    f = min(max(minor - i0, 0.0), 1.0)
    g = 1.0 - f
    if by_columns:
        j = c + step * s
        px = g * grid[i0, j, 0] + f * grid[i0 + 1, j, 0]
        py = g * grid[i0, j, 1] + f * grid[i0 + 1, j, 1]
        pz = g * grid[i0, j, 2] + f * grid[i0 + 1, j, 2]
    else:
        j = r + step * s
        px = g * grid[j, i0, 0] + f * grid[j, i0 + 1, 0]
        py = g * grid[j, i0, 1] + f * grid[j, i0 + 1, 1]
        pz = g * grid[j, i0, 2] + f * grid[j, i0 + 1, 2]
    dx, dy, dz = px - ox, py - oy, pz - oz
    dot = dx * ox + dy * oy + dz * oz
    return dot * abs(dot) / (dx * dx + dy * dy + dz * dz)


@njit(cache=True, inline="always")
def _last_step(r, c, rows, cols, by_columns, step, t):
    """Steps to the last sample of the ray from cell (r, c) inside the grid (0 if none)."""
    if not by_columns:
        r, c, rows, cols = c, r, cols, rows
    last = cols - 1 - c if step > 0 else c
    if t > 0.0:
        last = min(last, math.floor((rows - 0.5 - r) / t) + 1)
        while last > 0 and r + t * last > rows - 0.5:
            last -= 1
    elif t < 0.0:
        last = min(last, math.floor((-0.5 - r) / t) + 1)
        while last > 0 and r + t * last < -0.5:
            last -= 1
    return last


@njit(cache=True, inline="always")
def _sort4(a, b, c, d):
    """Four integers in ascending order."""
    if a > b:
        a, b = b, a
    if c > d:
        c, d = d, c
    if a > c:
        a, c = c, a
    if b > d:
        b, d = d, b
    if b > c:
        b, c = c, b
    return a, b, c, d


@njit(cache=True, inline="always")
def _scan(grid, r, c, by_columns, step, t, lo, hi, ox, oy, oz, best):
    """Largest key of ``best`` and the ray's samples ``lo..hi`` (inclusive)."""
    for s in range(lo, hi + 1):
        best = max(best, _ray_key(grid, r, c, by_columns, step, t, s, ox, oy, oz))
    return best


@njit(cache=True, inline="always")
def _interpolated(sines, j0, j1, w, r, c):
    """Sine interpolated between bearings j0 and j1 (weight w on j1); -2 where neither has one."""
    s0 = sines[j0, r, c]
    s1 = sines[j1, r, c]
    if s0 < -1.5:
        return s1
    if s1 < -1.5:
        return s0
    return (1.0 - w) * s0 + w * s1


@njit(cache=True, inline="always")
def _ray_horizon(grid, candidates, j0, j1, r, c, drow, dcol, near, spread, found, ox, oy, oz):
    """Largest elevation key along the exact ray (direction ``drow``, ``dcol`` in rows and
    columns) from cell (r, c) at the steps named in the module docstring; -inf where the ray
    holds no sample.

    ``candidates[j0]``, ``candidates[j1]``: the sweep's horizon distances at the two bracketing
    bearings; ``found``: work space for them.
    """
    rows, cols = grid.shape[0], grid.shape[1]
    # The ray, parametrised as in the march: steps along the major axis, slope t across it.
    by_columns = abs(dcol) >= abs(drow)
    if by_columns:
        step = 1 if dcol > 0 else -1
        t = drow / abs(dcol)
    else:
        step = 1 if drow > 0 else -1
        t = dcol / abs(drow)
    last = _last_step(r, c, rows, cols, by_columns, step, t)
    best = _scan(grid, r, c, by_columns, step, t, 1, min(near, last), ox, oy, oz, -np.inf)
    # The candidate distances, sorted (insertion sort). A line may run beyond the end of the
    # ray (rays of neighbouring bearings leave the grid at different steps): its horizon then
    # stands for the ray's last few steps.
    n_found = 0
    for j in (j0, j1):
        for i in range(candidates.shape[3]):
            d = np.int64(candidates[j, r, c, i])
            if d == 0:
                continue
            if d >= last:
                d = last - spread - 1
            p = n_found
            while p > 0 and found[p - 1] > d:
                found[p] = found[p - 1]
                p -= 1
            found[p] = d
            n_found += 1
    # Windows of equal width in ascending order: each step is sampled once.
    done = near
    for i in range(n_found):
        lo = max(found[i] - spread, done + 1)
        hi = min(found[i] + spread, last)
        best = _scan(grid, r, c, by_columns, step, t, lo, hi, ox, oy, oz, best)
        done = max(done, hi)
    # The last two steps (often the horizon looking downhill over the convex sphere).
    return _scan(grid, r, c, by_columns, step, t, max(last - 1, done + 1), last, ox, oy, oz, best)


@njit(parallel=True, cache=True)
def exact_azimuths(
    grid,
    observers,
    candidates,
    outer_sines,
    longitude_rad,
    azimuth_rad,
    row_range,
    near,
    spread,
    out_deg,
):
    """Horizon elevation (degrees) of rows ``row_range`` of cells at their local azimuths.

    ``candidates`` (Dg, R, C, K) int16: the sweep's candidate distances at Dg uniform grid bearings
    (0: none). The grid bearing of local azimuth A at longitude lon is A + lon. ``outer_sines``
    (Dg, R, C): the far-field DEM's horizon sines at the same bearings, interpolated linearly in
    bearing (a (0, 0, 0) array when there is none). NaN where no terrain lies in a direction (the
    caller fills in the bare-sphere dip).
    """
    dg = candidates.shape[0]
    cols = grid.shape[1]
    bearing_step = 2.0 * math.pi / dg
    has_outer = outer_sines.shape[0] > 0
    for r in prange(row_range[0], row_range[1]):
        found = np.empty(2 * candidates.shape[3], dtype=np.int64)
        for c in range(cols):
            ox, oy, oz = observers[r, c, 0], observers[r, c, 1], observers[r, c, 2]
            o2 = ox * ox + oy * oy + oz * oz
            lon = longitude_rad[r, c]
            for k in range(azimuth_rad.shape[0]):
                bearing = azimuth_rad[k] + lon
                x = bearing / bearing_step
                x = x - dg * math.floor(x / dg)
                j0 = math.floor(x)
                w = x - j0
                j0 = j0 % dg
                j1 = (j0 + 1) % dg
                # The same arithmetic as the march: rays through pixel corners stay identical.
                dcol = math.sin(bearing)
                drow = -math.cos(bearing)
                best = _ray_horizon(
                    grid, candidates, j0, j1, r, c, drow, dcol, near, spread, found, ox, oy, oz
                )
                if best == -np.inf:
                    sine = -2.0
                else:
                    sine = math.sqrt(abs(best) / o2)
                    if best < 0.0:
                        sine = -sine
                if has_outer:
                    sine = max(sine, _interpolated(outer_sines, j0, j1, w, r, c))
                if sine < -1.5:
                    out_deg[r, c, k] = np.nan
                else:
                    out_deg[r, c, k] = math.degrees(math.asin(min(max(sine, -1.0), 1.0)))
