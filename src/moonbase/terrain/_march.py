"""Ray marching along straight grid lines: exact per-site azimuths, O(L) per site and direction.

Used by :func:`moonbase.terrain.horizon_at_points` (a few sites) and as the brute-force reference
for whole maps (``horizon_map(..., method="raymarch")``, O(D n^1.5); tests and benchmarks only).

Sampling (the same as the profile sweep): one sample per pixel along the major axis of the
direction, starting at least half a pixel ahead of the observer, linearly interpolated across the minor axis; samples may lie up to half a pixel beyond
the outer pixel centres (nearest-pixel there). The elevation of each sample is computed exactly
in 3-D body-fixed coordinates, so lunar curvature is included without approximation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _sample(grid, mask, rho, c, rows):
    """Position interpolated across rows at fractional row ``rho`` of column ``c``.

    Returns (ok, x, y, z); ok is False outside the grid or on masked cells.
    """
    if rho < -0.5 or rho > rows - 0.5:
        return False, 0.0, 0.0, 0.0
    r0 = math.floor(rho)
    f = rho - r0
    if r0 < 0:
        r0 = 0
        f = 0.0
    if r0 >= rows - 1:
        r0 = rows - 1
        f = 0.0
    if f == 0.0:
        if mask[r0, c]:
            return False, 0.0, 0.0, 0.0
        return True, grid[r0, c, 0], grid[r0, c, 1], grid[r0, c, 2]
    if mask[r0, c] or mask[r0 + 1, c]:
        return False, 0.0, 0.0, 0.0
    g = 1.0 - f
    return (
        True,
        g * grid[r0, c, 0] + f * grid[r0 + 1, c, 0],
        g * grid[r0, c, 1] + f * grid[r0 + 1, c, 1],
        g * grid[r0, c, 2] + f * grid[r0 + 1, c, 2],
    )


@njit(cache=True)
def _march_one(grid, mask, ox, oy, oz, ro, co, bearing):
    """Largest sine of elevation from observer ``o`` (at fractional pixel ro, co) along a bearing.

    Returns -2.0 when no terrain sample lies in that direction.
    """
    rows, cols = mask.shape
    norm = math.sqrt(ox * ox + oy * oy + oz * oz)
    ux, uy, uz = ox / norm, oy / norm, oz / norm
    drow = -math.cos(bearing)
    dcol = math.sin(bearing)
    best = -2.0
    if abs(dcol) >= abs(drow):
        step = 1 if dcol > 0 else -1
        t = drow / abs(dcol)
        c = math.ceil(co + 0.5) if step > 0 else math.floor(co - 0.5)
        while 0 <= c < cols:
            rho = ro + t * abs(c - co)
            if rho < -0.5 or rho > rows - 0.5:
                break
            ok, x, y, z = _sample(grid, mask, rho, c, rows)
            if ok:
                dx, dy, dz = x - ox, y - oy, z - oz
                s = (dx * ux + dy * uy + dz * uz) / math.sqrt(dx * dx + dy * dy + dz * dz)
                if s > best:
                    best = s
            c += step
    else:
        # Major axis: rows. Transpose the roles of rows and columns.
        step = 1 if drow > 0 else -1
        t = dcol / abs(drow)
        r = math.ceil(ro + 0.5) if step > 0 else math.floor(ro - 0.5)
        while 0 <= r < rows:
            kappa = co + t * abs(r - ro)
            if kappa < -0.5 or kappa > cols - 0.5:
                break
            ok, x, y, z = _sample_t(grid, mask, kappa, r, cols)
            if ok:
                dx, dy, dz = x - ox, y - oy, z - oz
                s = (dx * ux + dy * uy + dz * uz) / math.sqrt(dx * dx + dy * dy + dz * dz)
                if s > best:
                    best = s
            r += step
    return best


@njit(cache=True, inline="always")
def _sample_t(grid, mask, kappa, r, cols):
    """Like :func:`_sample` with rows and columns swapped (fractional column ``kappa`` of row r)."""
    if kappa < -0.5 or kappa > cols - 0.5:
        return False, 0.0, 0.0, 0.0
    c0 = math.floor(kappa)
    f = kappa - c0
    if c0 < 0:
        c0 = 0
        f = 0.0
    if c0 >= cols - 1:
        c0 = cols - 1
        f = 0.0
    if f == 0.0:
        if mask[r, c0]:
            return False, 0.0, 0.0, 0.0
        return True, grid[r, c0, 0], grid[r, c0, 1], grid[r, c0, 2]
    if mask[r, c0] or mask[r, c0 + 1]:
        return False, 0.0, 0.0, 0.0
    g = 1.0 - f
    return (
        True,
        g * grid[r, c0, 0] + f * grid[r, c0 + 1, 0],
        g * grid[r, c0, 1] + f * grid[r, c0 + 1, 1],
        g * grid[r, c0, 2] + f * grid[r, c0 + 1, 2],
    )


@njit(parallel=True, cache=True)
def march_sines(grid, mask, observers, rows_f, cols_f, longitude_rad, azimuth_rad):
    """Largest elevation sine (M, D) for observers (M, 3) at fractional pixels (M,).

    The grid bearing of local azimuth ``azimuth_rad[k]`` at observer i is
    ``azimuth_rad[k] + longitude_rad[i]`` (conformal polar stereographic). -2.0 marks
    directions without terrain.
    """
    m_count = observers.shape[0]
    d_count = azimuth_rad.shape[0]
    out = np.empty((m_count, d_count), dtype=np.float64)
    for i in prange(m_count):
        ox, oy, oz = observers[i, 0], observers[i, 1], observers[i, 2]
        for k in range(d_count):
            bearing = azimuth_rad[k] + longitude_rad[i]
            out[i, k] = _march_one(grid, mask, ox, oy, oz, rows_f[i], cols_f[i], bearing)
    return out
