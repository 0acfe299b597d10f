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

A cell generally lies between two lines. Instead of interpolating the two lines' horizons (the
classic resampling, which errs by up to degrees on rough terrain), the columns of the two lines'
horizon vertices are taken as candidates, and the cell's *own* profile (the one the ray marcher
samples) is evaluated at those columns and their neighbours; the near field (``near`` columns,
where a lateral shift of a fraction of a pixel matters most) is marched exactly. The result equals
the brute-force march whenever the true horizon column is among the candidates, and is otherwise
a slight underestimate (measured in ``tests/terrain``).

Per direction: O(n) hull updates, queries that walk a few hull vertices, and O(n near)
near-field samples, for n cells. Directions run in parallel (:func:`sweep_all`).
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
def _profile_key(grid, mask, rows, cols, r, c, t, cj, ox, oy, oz):
    """Elevation key from observer (r, c) of its own profile's sample at column cj.

    The key ``(d.o) |d.o| / |d|^2`` equals ``s |s| |o|^2`` for the elevation sine s, so it orders
    like s without a square root; -inf when there is no sample.
    """
    if cj <= c or cj >= cols:
        return -np.inf
    ok, px, py, pz = _sample(grid, mask, r + t * (cj - c), cj, rows)
    if not ok:
        return -np.inf
    dx, dy, dz = px - ox, py - oy, pz - oz
    dot = dx * ox + dy * oy + dz * oz
    return dot * abs(dot) / (dx * dx + dy * dy + dz * dz)


@njit(cache=True, inline="always")
def _key_to_sine(key, ox, oy, oz):
    """Elevation sine from a key of :func:`_profile_key`; -2.0 when there was no sample."""
    if key == -np.inf:
        return -2.0
    root = math.sqrt(abs(key) / (ox * ox + oy * oy + oz * oz))
    return root if key >= 0.0 else -root


@njit(cache=True, inline="always")
def _candidates(grid, mask, rows, cols, r, c, t, hc, n, j, spread, ox, oy, oz):
    """Best elevation key of the cell's own profile near the line's horizon vertex.

    Samples the columns within ``spread`` of the tangent vertex's column and the columns of the
    hull vertices next to it.
    """
    best = -np.inf
    cc = hc[j]
    for cj in range(cc - spread, cc + spread + 1):
        best = max(best, _profile_key(grid, mask, rows, cols, r, c, t, cj, ox, oy, oz))
    for i in range(max(j - 1, 0), min(j + 2, n)):
        cj = hc[i]
        if abs(cj - cc) > spread:
            best = max(best, _profile_key(grid, mask, rows, cols, r, c, t, cj, ox, oy, oz))
    return best


@njit(cache=True, inline="always")
def _line_sample(grid, mask, rho, c, rows):
    """A profile line's sample, nearest row up to one pixel beyond the outer rows."""
    if rho < 0.0:
        rho = 0.0 if rho >= -1.0 else rho
    elif rho > rows - 1.0:
        rho = rows - 1.0 if rho <= rows else rho
    return _sample(grid, mask, rho, c, rows)


@njit(cache=True)
def sweep_lines(grid, mask, observers, t, near, spread, below, above, near_out):
    """Largest elevation sines of all observers along grid lines of slope ``t`` (oriented views).

    ``grid``/``observers``: (R, C, 3) positions of the ground samples and of the observers on the
    same cells; ``mask``: samples to ignore. Outputs (R, C), -2 where nothing was found:
    ``below[r, c]`` from candidates of the line at or above cell r, ``above[r, c]`` from the line
    below it, ``near_out`` from the exact march of the first ``near`` columns.
    """
    rows, cols = mask.shape
    span = t * (cols - 1)
    k_first = math.floor(-max(0.0, span)) - 1
    k_last = math.floor(rows - 1 - min(0.0, span)) + 1
    n_lines = k_last - k_first + 1
    for k_index in range(n_lines):
        k = k_first + k_index
        hu = np.empty(cols)
        hv = np.empty(cols)
        hc = np.empty(cols, dtype=np.int64)
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
            # The cell on or below the line (this line is its upper neighbour) ...
            rb = math.ceil(rho)
            if 0 <= rb < rows and rb - rho < 1.0:
                ox, oy, oz = observers[rb, c, 0], observers[rb, c, 1], observers[rb, c, 2]
                if n == 0:
                    below[rb, c] = -2.0
                else:
                    j = _query(hu, hv, n, ox * ex + oy * ey + oz * ez, ox * ax + oy * ay + oz * az)
                    key = _candidates(
                        grid, mask, rows, cols, rb, c, t, hc, n, j, spread, ox, oy, oz
                    )
                    below[rb, c] = _key_to_sine(key, ox, oy, oz)
                # Near field: march the cell's own profile exactly ...
                best = -np.inf
                for step in range(1, near + 1):
                    best = max(
                        best, _profile_key(grid, mask, rows, cols, rb, c, t, c + step, ox, oy, oz)
                    )
                # ... and its last sample inside the grid (often the horizon looking downhill).
                last = cols - 1
                if t > 0.0:
                    last = min(last, c + math.floor((rows - 0.5 - rb) / t))
                elif t < 0.0:
                    last = min(last, c + math.floor((-0.5 - rb) / t))
                for cj in range(max(last - 1, c + near + 1), last + 1):
                    best = max(best, _profile_key(grid, mask, rows, cols, rb, c, t, cj, ox, oy, oz))
                near_out[rb, c] = _key_to_sine(best, ox, oy, oz)
            # ... and the cell above it (this line is its lower neighbour).
            ra = rb - 1
            if 0 <= ra < rows and ra < rho:
                if n == 0:
                    above[ra, c] = -2.0
                else:
                    ox, oy, oz = observers[ra, c, 0], observers[ra, c, 1], observers[ra, c, 2]
                    j = _query(hu, hv, n, ox * ex + oy * ey + oz * ez, ox * ax + oy * ay + oz * az)
                    key = _candidates(
                        grid, mask, rows, cols, ra, c, t, hc, n, j, spread, ox, oy, oz
                    )
                    above[ra, c] = _key_to_sine(key, ox, oy, oz)


@njit(cache=True)
def combine_lines(below, above, near_out, t, out):
    """Largest of the candidates and the near field into ``out`` (R, C); -2: no terrain."""
    rows, cols = below.shape
    for r in range(rows):
        for c in range(cols):
            best = max(below[r, c], near_out[r, c])
            if r - t * c != math.floor(r - t * c):  # a line below the cell exists
                best = max(best, above[r, c])
            out[r, c] = best


@njit(cache=True)
def _orientation(bearing_rad):
    """(case, slope t): case 0/1 columns forward/backward, 2/3 rows forward/backward."""
    drow = -math.cos(bearing_rad)
    dcol = math.sin(bearing_rad)
    if abs(dcol) >= abs(drow):
        return (0 if dcol > 0 else 1), drow / abs(dcol)
    return (2 if drow > 0 else 3), dcol / abs(drow)


@njit(parallel=True, cache=True)
def sweep_all(grid, mask, observers, bearings_rad, near, spread, out):
    """Largest elevation sines (D, R, C) of every cell at each grid bearing into ``out``.

    -2 marks cells with no terrain in that direction. Directions run in parallel (one parallel
    region for the whole map: cheap on a busy machine); within a direction the grid is seen
    through a transposed/flipped view in which the bearing runs along +columns.
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
            w = out[j].transpose()[:, ::step]
        shape = m.shape
        below = np.empty(shape)
        above = np.empty(shape)
        near_out = np.empty(shape)
        sweep_lines(g, m, o, t, near, spread, below, above, near_out)
        combine_lines(below, above, near_out, t, w)


@njit(parallel=True, cache=True)
def to_local_azimuths(grid_sines, longitude_rad, azimuth_rad, out_deg):
    """Interpolate sines at uniform grid bearings (Dg, R, C) to local azimuths, in degrees.

    The grid bearing of local azimuth A at longitude lon is A + lon. Linear interpolation in
    bearing between the two nearest grid bearings; where neither holds terrain (-2), NaN (the
    caller fills in the bare-sphere dip).
    """
    dg, rows, cols = grid_sines.shape
    step = 2.0 * math.pi / dg
    d = azimuth_rad.shape[0]
    for r in prange(rows):
        for c in range(cols):
            lon = longitude_rad[r, c]
            for k in range(d):
                x = (azimuth_rad[k] + lon) / step
                x = x - dg * math.floor(x / dg)
                j0 = math.floor(x)
                w = x - j0
                j0 = j0 % dg
                j1 = (j0 + 1) % dg
                s0 = grid_sines[j0, r, c]
                s1 = grid_sines[j1, r, c]
                if s0 < -1.5 and s1 < -1.5:
                    out_deg[r, c, k] = np.nan
                    continue
                if s0 < -1.5:
                    s = s1
                elif s1 < -1.5:
                    s = s0
                else:
                    s = (1.0 - w) * s0 + w * s1
                s = min(max(s, -1.0), 1.0)
                out_deg[r, c, k] = math.degrees(math.asin(s))
