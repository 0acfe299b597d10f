"""Profile sweep with an upper convex hull: horizons of every cell in one grid direction.

For a grid bearing, the grid is oriented (transposed/flipped views) so that the direction runs
along +columns with a minor slope ``t`` (rows per column, |t| <= 1). Parallel profile lines
``row = k + t col`` (k integer) cross every column once; their samples are linearly interpolated
across rows, exactly as in :mod:`moonbase.terrain._march`. Each line is swept from its far end
towards its near end, keeping the upper convex hull of the samples ahead (Andrew's monotone chain:
each sample is pushed once and popped at most once) in the plane of the line's great circle, in
body-fixed coordinates, so lunar curvature is exact. For an observer, the hull vertex of largest
elevation angle is found by walking the hull from its near end (the angle is unimodal along a
convex chain seen from a point on one side of it).

A cell generally lies between two lines. The sweep does not decide the cell's horizon: it
records, for each of the two lines, the distance (in columns) to the horizon vertex seen from the
cell and to that vertex's two neighbours along the hull when their angle is close to it (a
neighbour is often the next feature, which a ray a fraction of a pixel aside may see highest).
The first ``near`` columns are left out of the hull. :mod:`moonbase.terrain._exact` then
evaluates every cell's exact rays around these distances.

Per direction: O(n) hull updates and queries that walk a few hull vertices, for n cells.
Directions run in parallel (:func:`sweep_all`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from moonbase.terrain._march import _sample


@njit(cache=True, inline="always")
def _query(hu, hv, n, uo, vo):
    """Index of the hull vertex of largest angle seen from (uo, vo), left of all vertices.

    Walks from the nearest vertex (top of the stack) towards farther ones while the angle grows:
    the angle is unimodal along the convex chain, and the walk is short in practice (a binary
    search costs more here, its branches being unpredictable).
    """
    i = n - 1
    while i > 0:
        ax = hu[i] - uo
        ay = hv[i] - vo
        bx = hu[i - 1] - uo
        by = hv[i - 1] - vo
        if ax * by - ay * bx > 0.0:
            i -= 1
        else:
            break
    return i


@njit(cache=True, inline="always")
def _store(hu, hv, hc, n, c, reach, uo, vo, dest):
    """Distances from column c to the hull vertex of largest angle seen from (uo, vo) and to its
    two neighbours along the hull (farther, nearer) into ``dest`` (3,); 0: none.

    A neighbour is kept only if its angle lies within ``reach / distance`` radians of the
    largest (distance in columns): the exact ray of a cell, up to about a row from the line,
    may see it highest; farther away, a lateral shift of a row changes the angle less.
    """
    dest[0] = 0
    dest[1] = 0
    dest[2] = 0
    if n == 0:
        return
    j = _query(hu, hv, n, uo, vo)
    dest[0] = hc[j] - c
    au = hu[j] - uo
    av = hv[j] - vo
    a2 = au * au + av * av
    for i in range(2):
        h = j - 1 if i == 0 else j + 1
        if 0 <= h < n:
            bu = hu[h] - uo
            bv = hv[h] - vo
            cross = abs(au * bv - av * bu)
            if cross * (hc[h] - c) < reach * math.sqrt(a2 * (bu * bu + bv * bv)):
                dest[1 + i] = hc[h] - c


@njit(cache=True, inline="always")
def _line_sample(grid, mask, rho, c, rows):
    """A profile line's sample, nearest row up to one pixel beyond the outer rows."""
    if rho < 0.0:
        rho = 0.0 if rho >= -1.0 else rho
    elif rho > rows - 1.0:
        rho = rows - 1.0 if rho <= rows else rho
    return _sample(grid, mask, rho, c, rows)


@njit(cache=True)
def sweep_lines(grid, mask, observers, t, near, reach, out):
    """Horizon columns of all observers along grid lines of slope ``t`` (oriented views).

    ``grid``/``observers``: (R, C, 3) positions of the ground samples and of the observers on the
    same cells; ``mask``: samples to ignore. Outputs (R, C) int16, the distance in columns from
    each cell to the horizon vertex (ignoring the first ``near`` columns) of the profile line at or
    above it (``upper``) and of the line below it (``lower``); 0 where the line holds no sample.
    """
    rows, cols = mask.shape
    span = t * (cols - 1)
    k_first = math.floor(-max(0.0, span)) - 1
    k_last = math.floor(rows - 1 - min(0.0, span)) + 1
    n_lines = k_last - k_first + 1
    hu = np.empty(cols)
    hv = np.empty(cols)
    hc = np.empty(cols, dtype=np.int64)
    for k_index in range(n_lines):
        k = k_first + k_index
        # Plane of the line: a = "up" near its middle, e = along the line.
        rm = min(max(round(k + t * (cols // 2)), 0), rows - 1)
        r0 = min(max(round(k), 0), rows - 1)
        r1 = min(max(round(k + span), 0), rows - 1)
        ax, ay, az = grid[rm, cols // 2, 0], grid[rm, cols // 2, 1], grid[rm, cols // 2, 2]
        na = math.sqrt(ax * ax + ay * ay + az * az)
        ax, ay, az = ax / na, ay / na, az / na
        ex = grid[r1, cols - 1, 0] - grid[r0, 0, 0]
        ey = grid[r1, cols - 1, 1] - grid[r0, 0, 1]
        ez = grid[r1, cols - 1, 2] - grid[r0, 0, 2]
        dot = ex * ax + ey * ay + ez * az
        ex, ey, ez = ex - dot * ax, ey - dot * ay, ez - dot * az
        ne = math.sqrt(ex * ex + ey * ey + ez * ez)
        ex, ey, ez = ex / ne, ey / ne, ez / ne
        n = 0
        for c in range(cols - 1, -1, -1):
            # Insert the sample ``near + 1`` columns ahead of this column into the hull.
            ci = c + near + 1
            if ci < cols:
                ok, px, py, pz = _line_sample(grid, mask, k + t * ci, ci, rows)
                if ok:
                    pu = px * ex + py * ey + pz * ez
                    pv = px * ax + py * ay + pz * az
                    while n >= 2:
                        tu = hu[n - 1] - pu
                        tv = hv[n - 1] - pv
                        su = hu[n - 2] - pu
                        sv = hv[n - 2] - pv
                        if tu * sv - tv * su >= 0.0:
                            n -= 1
                        else:
                            break
                    hu[n] = pu
                    hv[n] = pv
                    hc[n] = ci
                    n += 1
            rho = k + t * c
            # The cell on or below the line (this line is its upper neighbour, slots 0-2) and
            # the cell above it (this line is its lower neighbour, slots 3-5).
            rb = math.ceil(rho)
            for side in range(2):
                r = rb - side
                if 0 <= r < rows:
                    ox, oy, oz = observers[r, c, 0], observers[r, c, 1], observers[r, c, 2]
                    _store(
                        hu,
                        hv,
                        hc,
                        n,
                        c,
                        reach,
                        ox * ex + oy * ey + oz * ez,
                        ox * ax + oy * ay + oz * az,
                        out[r, c, 3 * side : 3 * side + 3],
                    )


@njit(cache=True)
def _orientation(bearing_rad):
    """(case, slope t): case 0/1 columns forward/backward, 2/3 rows forward/backward."""
    drow = -math.cos(bearing_rad)
    dcol = math.sin(bearing_rad)
    if abs(dcol) >= abs(drow):
        return (0 if dcol > 0 else 1), drow / abs(dcol)
    return (2 if drow > 0 else 3), dcol / abs(drow)


@njit(parallel=True, cache=True)
def sweep_all(grid, mask, observers, bearings_rad, near, reach, out):
    """Horizon columns (D, R, C, 2) int16 of every cell at each grid bearing into ``out``.

    ``out[j, r, c]`` holds the distances (in steps along the bearing's major axis, see
    :func:`sweep_lines`) to the horizon vertices of the two profile lines around cell (r, c).
    Directions run in parallel (one parallel region for the whole map: cheap on a busy machine);
    within a direction the grid is seen through a transposed/flipped view in which the bearing
    runs along +columns.
    """
    for j in prange(bearings_rad.shape[0]):
        case, t = _orientation(bearings_rad[j])
        step = 1 if case % 2 == 0 else -1
        if case < 2:
            g = grid[:, ::step]
            m = mask[:, ::step]
            o = observers[:, ::step]
            w = out[j][:, ::step]
        else:
            g = grid.transpose((1, 0, 2))[:, ::step]
            m = mask.transpose()[:, ::step]
            o = observers.transpose((1, 0, 2))[:, ::step]
            w = out[j].transpose((1, 0, 2))[:, ::step]
        sweep_lines(g, m, o, t, near, reach, w)
