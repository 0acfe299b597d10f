"""Sun and Earth visibility statistics for many cells over long spans, streamed over time.

Definitions (used everywhere in :mod:`moonbase.site`):

``lit``
    any part of the solar disk is above the local horizon: disk fraction > 0.
``effective illumination``
    the mean visible fraction of the solar disk over the span (a half-hidden Sun counts half).
``dark`` / ``longest darkness``
    disk fraction == 0; the longest run of consecutive dark samples, in hours (samples x step),
    with the date of its first dark sample. A run still open at the end of the span is cut there.
``Earth visible``
    the *centre* of the Earth's disk is above the horizon at its azimuth (the Earth's disk is
    about 1.9 degrees wide, so "any part visible" would be up to ~0.95 degrees more generous).
``permanent shadow`` (PSR)
    never lit over the span.

How a map is computed. The Sun and the Earth are computed *once per epoch*, from one reference
point of the map (its centroid), by :func:`moonbase.ephemeris.topocentric_vectors` (DE421, CN+S).
For the Earth, each cell's vector is that vector minus the cell's offset from the reference
point (exact geometry: across a 100 km map the Earth's parallax is ~1 arcmin, so it is kept).
For the Sun, every cell uses the reference point's direction: its parallax, < 0.15 arcsec
across 100 km (100 km / 1 au), is neglected. Also neglected: the change of light time and
aberration between the reference point and a cell (< 1 milliarcsecond). A compiled loop (numba, parallel over
cells) turns the vectors into each cell's local azimuth and elevation, interpolates the cell's
horizon in azimuth and updates per-cell counters; epochs are streamed in blocks, so memory is
the horizons plus one block of epochs, never cells x epochs.

Skipping. Near the poles the Sun's elevation changes by ~0.01 deg per hour and its azimuth by
~0.5 deg per hour. After a sample that is fully lit or fully dark (or has the Earth clearly in or
out of view), the kernel skips the samples whose outcome is *guaranteed* by per-block bounds on
how far the body's direction can move per step, compared with the margin to the horizon's
extremes over an azimuth window the body cannot leave in that time (two window widths, 8 and 32
bins). Results are identical with ``skip=False`` (tested); on the real Shackleton horizons it is
~3.7x less work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit, prange

from moonbase.constants import DAY_S, MOON_RADIUS_M
from moonbase.ephemeris import check_site, topocentric_vectors
from moonbase.ephemeris.disk import sun_angular_radius_deg
from moonbase.errors import InputError
from moonbase.site.geometry import check_horizon, enu_basis
from moonbase.time import Time

__all__ = [
    "Reference",
    "VisibilityStats",
    "epoch_step_s",
    "map_reference",
    "visibility_statistics",
]

#: Epochs per streamed block (~1 month hourly); the block's vectors take ~100 kB.
BLOCK_EPOCHS = 720


@dataclass(frozen=True)
class Reference:
    """The point from which the Sun and the Earth are computed once per epoch."""

    latitude_deg: float
    longitude_deg: float
    height_m: float


@dataclass(frozen=True)
class VisibilityStats:
    """Visibility statistics per cell; every array has the shape of the cells (``S``).

    Percentages are of the number of samples ``n_epochs`` taken every ``step_s`` seconds from
    ``start_utc``. ``longest_dark_start`` is ``NaT`` where a cell was never dark.
    """

    lit_percent: np.ndarray
    effective_illumination_percent: np.ndarray
    earth_visible_percent: np.ndarray
    lit_and_earth_percent: np.ndarray
    longest_dark_hours: np.ndarray
    longest_dark_start: np.ndarray
    permanent_shadow: np.ndarray
    n_epochs: int
    step_s: float
    start_utc: str
    stop_utc: str

    def table(self) -> pd.DataFrame:
        """The statistics of every cell as rows of a DataFrame (cells flattened, C order)."""
        return pd.DataFrame(
            {
                "lit_percent": self.lit_percent.ravel(),
                "effective_illumination_percent": self.effective_illumination_percent.ravel(),
                "earth_visible_percent": self.earth_visible_percent.ravel(),
                "lit_and_earth_percent": self.lit_and_earth_percent.ravel(),
                "longest_dark_hours": self.longest_dark_hours.ravel(),
                "longest_dark_start_utc": self.longest_dark_start.ravel(),
                "permanent_shadow": self.permanent_shadow.ravel(),
            }
        )


def epoch_step_s(times: Time) -> float:
    """The constant spacing (seconds) of ``times``; refuse uneven or too short arrays."""
    tt = np.atleast_1d(np.asarray(times.tt, dtype=float))
    if tt.ndim != 1 or tt.size < 2:
        raise InputError(
            "need a 1-D array of at least two evenly spaced times",
            field="times",
            hint="build it with moonbase.time.time_range(start, stop, step)",
        )
    steps = np.diff(tt) * DAY_S
    step = float(np.round(np.median(steps), 3))
    if step <= 0 or np.max(np.abs(steps - step)) > 1.5:
        raise InputError(
            "times must be evenly spaced and increasing (to within a leap second)",
            field="times",
            hint="build them with moonbase.time.time_range(start, stop, step)",
        )
    return step


def map_reference(latitude_deg, longitude_deg, height_m) -> Reference:
    """The centroid of the cells (body-fixed positions), as a surface point with a height."""
    lat, lon, height = check_site(latitude_deg, longitude_deg, height_m)
    positions = _positions_km(lat.ravel(), lon.ravel(), height.ravel())
    mean = positions.mean(axis=0)
    radius_km = float(np.linalg.norm(mean))
    mean_height_m = float(np.mean(height))
    return Reference(
        latitude_deg=float(np.degrees(np.arcsin(mean[2] / radius_km))),
        longitude_deg=float(np.mod(np.degrees(np.arctan2(mean[1], mean[0])), 360.0)),
        height_m=mean_height_m,
    )


def _positions_km(lat, lon, height_m) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    radius = (MOON_RADIUS_M + height_m) / 1000.0
    return np.stack(
        [
            radius * np.cos(phi) * np.cos(lam),
            radius * np.cos(phi) * np.sin(lam),
            radius * np.sin(phi),
        ],
        axis=-1,
    )


_HALF_PI = 0.5 * math.pi
_DEG = math.pi / 180.0
#: Skipping is allowed while |sin(elevation)| < 0.57 (35 deg); there d(elevation) <= 1.22
#: d(sin elevation) and d(azimuth) <= 1.22 x the angle moved; 1.25 is used.
_SKIP_SIN = 0.57
_SKIP_COS2 = 1.0 - 0.57**2
_SKIP_SLOPE = 1.25
#: Azimuth bins per window group (the Sun moves ~0.5 deg/h in azimuth at the pole; 8 bins
#: of 1 deg let a clear Sun skip up to ~12 hourly samples).
GROUP_BINS = 8
#: A second, wider window (a Sun well clear of a wide stretch of horizon skips ~2 days).
WIDE_GROUP_BINS = 32
_TAN_PI_8 = math.sqrt(2.0) - 1.0


@njit(inline="always", cache=True)
def _asin(u):  # pragma: no cover - compiled
    """arcsin; a short series below |u| = 0.1 (error < 1e-12 rad), libm above."""
    if -0.1 < u < 0.1:
        u2 = u * u
        return u * (
            1.0 + u2 * (1.0 / 6.0 + u2 * (3.0 / 40.0 + u2 * (5.0 / 112.0 + u2 * (35.0 / 1152.0))))
        )
    return math.asin(min(1.0, max(-1.0, u)))


@njit(inline="always", cache=True)
def _azimuth(east, north):  # pragma: no cover - compiled
    """atan2(east, north) in [0, 2 pi): octant reduction plus a 15th-order series, error < 2e-8 rad."""
    ae = abs(east)
    an = abs(north)
    big = max(ae, an)
    if big == 0.0:
        return 0.0
    a = min(ae, an) / big
    base = 0.0
    if a > _TAN_PI_8:
        a = (a - 1.0) / (a + 1.0)
        base = 0.25 * math.pi
    z2 = a * a
    poly = 1.0 + z2 * (
        -1.0 / 3.0
        + z2
        * (
            1.0 / 5.0
            + z2
            * (-1.0 / 7.0 + z2 * (1.0 / 9.0 + z2 * (-1.0 / 11.0 + z2 * (1.0 / 13.0 - z2 / 15.0))))
        )
    )
    angle = base + a * poly
    if ae > an:
        angle = _HALF_PI - angle
    if north < 0.0:
        angle = math.pi - angle
    if east < 0.0:
        angle = 2.0 * math.pi - angle
    return angle


@njit(inline="always", cache=True)
def _horizon_at(horizon, i, az, n_az, bins_per_rad):  # pragma: no cover - compiled
    """Interpolated horizon (degrees) at azimuth ``az`` (radians) and the step to the next bin."""
    pos = az * bins_per_rad
    j0 = int(pos)
    w = pos - j0
    j0 = j0 % n_az
    j1 = j0 + 1
    if j1 == n_az:
        j1 = 0
    h0 = horizon[i, j0]
    dh = horizon[i, j1] - h0
    return h0 + w * dh, dh


@njit(inline="always", cache=True)
def _sun_fraction(
    horizon, i, s_el, cos2, r, tmax, lo, hi, ex, ey, ez, nx, ny, nz, dx, dy, dz, n_az, bins_per_rad
):  # pragma: no cover - compiled
    """Visible fraction of the solar disk and the Sun's azimuth (-1 when not needed)."""
    reach2 = r * r * (1.0 + tmax * tmax / cos2)
    above = s_el - hi
    below = s_el - lo
    if above >= 0.0 and above * above >= reach2:
        return 1.0, -1.0
    if below <= 0.0 and below * below >= reach2:
        return 0.0, -1.0
    az = _azimuth(ex * dx + ey * dy + ez * dz, nx * dx + ny * dy + nz * dz)
    h, dh = _horizon_at(horizon, i, az, n_az, bins_per_rad)
    tilt = dh * _DEG * bins_per_rad
    x = (s_el - h * _DEG) / (r * math.sqrt(1.0 + tilt * tilt / cos2))
    if x >= 1.0:
        return 1.0, az
    if x <= -1.0:
        return 0.0, az
    return 1.0 - (math.acos(x) - x * math.sqrt(1.0 - x * x)) / math.pi, az


@njit(inline="always", cache=True)
def _window(wmax, wmin, i, az, n_groups, group_per_rad):  # pragma: no cover - compiled
    """Max and min (radians) of the horizon within >= one group on either side of ``az``."""
    g = int(az * group_per_rad)
    if g >= n_groups:
        g = n_groups - 1
    return wmax[i, g] * _DEG, wmin[i, g] * _DEG


@njit(inline="always", cache=True)
def _window_steps(
    wmax, wmin, group_bins, i, az, above, el, reach, d_el, cos_el, d_az, bins_per_rad
):  # pragma: no cover - compiled
    """Samples for which a body at ``el`` stays clear (above if ``above``, else below) of the
    horizon window around ``az``: limited by the margin over the elevation bound per sample and
    by the time to leave the window (at least one group of bins on either side)."""
    n_groups = wmax.shape[1]
    w_hi, w_lo = _window(wmax, wmin, i, az, n_groups, bins_per_rad / group_bins)
    margin = el - w_hi - reach if above else w_lo - el - reach
    return min(margin / d_el, (group_bins / bins_per_rad) * cos_el / d_az)


@njit(parallel=True, cache=True)
def _accumulate(
    horizon,
    h_min,
    h_max,
    tilt_max,
    wmax,
    wmin,
    group_bins,
    wmax_wide,
    wmin_wide,
    wide_bins,
    enu,
    offset,
    sun_unit,
    sun_radius,
    earth,
    sun_step,
    earth_step,
    first_index,
    skip,
    lit_count,
    disk_sum,
    earth_count,
    both_count,
    run_start,
    best_length,
    best_start,
):  # pragma: no cover - compiled
    """Update per-cell counters with one block of epochs.

    ``horizon`` (N, D) degrees; ``h_min``/``h_max`` (N,) radians and ``tilt_max`` (N,) the
    largest |slope| in radians per radian of azimuth; ``wmax``/``wmin`` (N, G) degrees: horizon
    extremes over azimuth windows reaching ``group_bins`` bins on either side of each group of
    ``group_bins`` bins; ``enu`` (N, 3, 3); ``offset`` (N, 3) km from the reference point;
    ``sun_unit`` (T, 3) the Sun's direction from the reference point; ``earth`` (T, 3) km from
    it; ``sun_radius`` (T,) radians; ``sun_step``/``earth_step`` (3,) per-epoch bounds on the
    change of the body's unit vector: |dz|, |d(x, y)| and the angle (radians).

    Skipping (``skip``): after a sample that is fully lit (or fully dark, or Earth clearly in or
    out of view) the next samples are taken as the same as long as the change bounds guarantee
    it: the elevation cannot move by the margin to the horizon's window extremes and the azimuth
    cannot leave the window. With ``skip=False`` every sample is evaluated (for tests).
    """
    n_cells, n_az = horizon.shape
    n_times = sun_unit.shape[0]
    bins_per_rad = n_az / (2.0 * math.pi)
    r_max = 0.0
    for k in range(n_times):
        r_max = max(r_max, sun_radius[k])
    for i in prange(n_cells):
        ex, ey, ez = enu[i, 0, 0], enu[i, 0, 1], enu[i, 0, 2]
        nx, ny, nz = enu[i, 1, 0], enu[i, 1, 1], enu[i, 1, 2]
        ux, uy, uz = enu[i, 2, 0], enu[i, 2, 1], enu[i, 2, 2]
        ox, oy, oz = offset[i, 0], offset[i, 1], offset[i, 2]
        lo, hi, tmax = h_min[i], h_max[i], tilt_max[i]
        uxy = math.sqrt(ux * ux + uy * uy)
        # Bounds on the change per epoch of sin(elevation) (|u . d(unit)|), of the elevation
        # (x 1/cos(35 deg) while |sin el| <= 0.57) and of the azimuth.
        sun_dsin = abs(uz) * sun_step[0] + uxy * sun_step[1]
        earth_dsin = abs(uz) * earth_step[0] + uxy * earth_step[1]
        sun_del = _SKIP_SLOPE * sun_dsin + 1e-15
        earth_del = _SKIP_SLOPE * earth_dsin + 1e-15
        sun_daz = _SKIP_SLOPE * sun_step[2] + 1e-15
        earth_daz = _SKIP_SLOPE * earth_step[2] + 1e-15
        reach_max = r_max * math.sqrt(1.0 + tmax * tmax / _SKIP_COS2)
        lit = 0
        dsum = 0.0
        ecount = 0
        both = 0
        start = run_start[i]
        blen = best_length[i]
        bstart = best_start[i]
        sun_next = 0
        earth_next = 0
        frac = 0.0
        seen = False
        for k in range(n_times):
            if k >= sun_next:
                dx = sun_unit[k, 0]
                dy = sun_unit[k, 1]
                dz = sun_unit[k, 2]
                s_up = ux * dx + uy * dy + uz * dz
                s_el = _asin(s_up)
                cos2 = max(1e-12, 1.0 - s_up * s_up)
                frac, az = _sun_fraction(
                    horizon,
                    i,
                    s_el,
                    cos2,
                    sun_radius[k],
                    tmax,
                    lo,
                    hi,
                    ex,
                    ey,
                    ez,
                    nx,
                    ny,
                    nz,
                    dx,
                    dy,
                    dz,
                    n_az,
                    bins_per_rad,
                )
                sun_next = k + 1
                if skip and (frac == 1.0 or frac == 0.0) and abs(s_up) < _SKIP_SIN:
                    room = (_SKIP_SIN - abs(s_up)) / sun_dsin if sun_dsin > 0 else 1e9
                    if frac == 1.0:
                        margin = s_el - hi - reach_max
                    else:
                        margin = lo - s_el - reach_max
                    m = margin / sun_del
                    if m < 1.0:
                        # Not clear of the whole horizon: use the azimuth window.
                        if az < 0.0:
                            az = _azimuth(ex * dx + ey * dy + ez * dz, nx * dx + ny * dy + nz * dz)
                        cos_el = math.sqrt(cos2)
                        lit_now = frac == 1.0
                        m = max(
                            _window_steps(
                                wmax,
                                wmin,
                                group_bins,
                                i,
                                az,
                                lit_now,
                                s_el,
                                reach_max,
                                sun_del,
                                cos_el,
                                sun_daz,
                                bins_per_rad,
                            ),
                            _window_steps(
                                wmax_wide,
                                wmin_wide,
                                wide_bins,
                                i,
                                az,
                                lit_now,
                                s_el,
                                reach_max,
                                sun_del,
                                cos_el,
                                sun_daz,
                                bins_per_rad,
                            ),
                        )
                    m = min(m, room)
                    if m >= 1.0:
                        sun_next = k + 1 + min(int(m), n_times)
            if k >= earth_next:
                dx = earth[k, 0] - ox
                dy = earth[k, 1] - oy
                dz = earth[k, 2] - oz
                e_up = (ux * dx + uy * dy + uz * dz) / math.sqrt(dx * dx + dy * dy + dz * dz)
                e_el = _asin(e_up)
                az = -1.0
                if e_el > hi:
                    seen = True
                elif e_el <= lo:
                    seen = False
                else:
                    az = _azimuth(ex * dx + ey * dy + ez * dz, nx * dx + ny * dy + nz * dz)
                    h, _ = _horizon_at(horizon, i, az, n_az, bins_per_rad)
                    seen = e_el > h * _DEG
                earth_next = k + 1
                if skip and abs(e_up) < _SKIP_SIN:
                    room = (_SKIP_SIN - abs(e_up)) / earth_dsin if earth_dsin > 0 else 1e9
                    margin = e_el - hi if seen else lo - e_el
                    m = margin / earth_del
                    if m < 1.0:
                        if az < 0.0:
                            az = _azimuth(ex * dx + ey * dy + ez * dz, nx * dx + ny * dy + nz * dz)
                        cos_e = math.sqrt(max(1e-12, 1.0 - e_up * e_up))
                        m = max(
                            _window_steps(
                                wmax,
                                wmin,
                                group_bins,
                                i,
                                az,
                                seen,
                                e_el,
                                0.0,
                                earth_del,
                                cos_e,
                                earth_daz,
                                bins_per_rad,
                            ),
                            _window_steps(
                                wmax_wide,
                                wmin_wide,
                                wide_bins,
                                i,
                                az,
                                seen,
                                e_el,
                                0.0,
                                earth_del,
                                cos_e,
                                earth_daz,
                                bins_per_rad,
                            ),
                        )
                    m = min(m, room)
                    if m >= 1.0:
                        earth_next = k + 1 + min(int(m), n_times)
            # --- counters and dark runs
            if frac > 0.0:
                lit += 1
                dsum += frac
                if seen:
                    both += 1
                if start >= 0:
                    g = first_index + k
                    if g - start > blen:
                        blen = g - start
                        bstart = start
                    start = -1
            elif start < 0:
                start = first_index + k
            if seen:
                ecount += 1
        lit_count[i] += lit
        disk_sum[i] += dsum
        earth_count[i] += ecount
        both_count[i] += both
        run_start[i] = start
        best_length[i] = blen
        best_start[i] = bstart


@njit(parallel=True, cache=True)
def _window_extremes(horizon, group_bins):  # pragma: no cover - compiled
    """Horizon max/min over bins ``[(g - 1) B, (g + 2) B]`` (wrapping) for each group ``g``."""
    n_cells, n_az = horizon.shape
    n_groups = (n_az + group_bins - 1) // group_bins
    wmax = np.empty((n_cells, n_groups), np.float32)
    wmin = np.empty((n_cells, n_groups), np.float32)
    for i in prange(n_cells):
        for g in range(n_groups):
            hi = -np.inf
            lo = np.inf
            for j in range((g - 1) * group_bins, (g + 2) * group_bins + 1):
                h = np.float64(horizon[i, j % n_az])
                hi = max(hi, h)
                lo = min(lo, h)
            wmax[i, g] = hi
            wmin[i, g] = lo
    return wmax, wmin


def _step_bounds(unit: np.ndarray, safety: float) -> np.ndarray:
    """Per-epoch change bounds of unit vectors (T, 3): max |dz|, max |d(x,y)|, max angle."""
    if unit.shape[0] < 2:
        return np.zeros(3)
    delta = np.diff(unit, axis=0)
    dz = np.max(np.abs(delta[:, 2]))
    dxy = np.max(np.hypot(delta[:, 0], delta[:, 1]))
    chord = np.max(np.linalg.norm(delta, axis=1))
    angle = 2.0 * np.arcsin(min(1.0, chord / 2.0))
    return np.array([dz, dxy, angle]) * safety + 1e-12


@njit(parallel=True, cache=True)
def _horizon_bounds(horizon):  # pragma: no cover - compiled
    """Per-cell min, max (radians) and largest |slope| (rad/rad) of the interpolated horizon."""
    n_cells, n_az = horizon.shape
    h_min = np.empty(n_cells)
    h_max = np.empty(n_cells)
    slope = np.empty(n_cells)
    for i in prange(n_cells):
        lo = np.inf
        hi = -np.inf
        steep = 0.0
        for j in range(n_az):
            h = np.float64(horizon[i, j])
            lo = min(lo, h)
            hi = max(hi, h)
            steep = max(steep, abs(np.float64(horizon[i, (j + 1) % n_az]) - h))
        h_min[i] = math.radians(lo)
        h_max[i] = math.radians(hi)
        slope[i] = steep * n_az / 360.0
    return h_min, h_max, slope


def visibility_statistics(
    horizon_deg,
    latitude_deg,
    longitude_deg,
    height_m,
    times: Time,
    *,
    reference: Reference | None = None,
    block_epochs: int = BLOCK_EPOCHS,
    progress: Callable[[int, int], None] | None = None,
    skip: bool = True,
) -> VisibilityStats:
    """Sun and Earth visibility statistics of cells with known horizons over ``times``.

    Parameters
    ----------
    horizon_deg:
        ``S + (D,)`` horizon elevations at azimuths ``arange(D) * 360 / D`` clockwise from each
        cell's local north (``HorizonMap.elevation_deg`` or ``horizon_at_points(...)``).
    latitude_deg, longitude_deg, height_m:
        cell positions, shape ``S``; ``height_m`` above the 1737.4 km sphere (terrain height plus
        the height above ground the horizon was computed for).
    times:
        evenly spaced times (:func:`moonbase.time.time_range`).
    reference:
        point the Sun and Earth are computed from; default the cells' centroid. Pass the whole
        map's reference when computing tiles so they match the untiled run exactly.
    progress:
        called as ``progress(done_epochs, total_epochs)`` after each block.
    skip:
        skip samples whose outcome is guaranteed by bounds on how fast the Sun and the Earth
        move (same results, several times faster); ``False`` evaluates every sample.
    """
    horizon = check_horizon(horizon_deg)
    cell_shape = horizon.shape[:-1]
    lat, lon, height = check_site(
        latitude_deg, longitude_deg, height_m, fields=("latitude_deg", "longitude_deg", "height_m")
    )
    if lat.shape != cell_shape:
        try:
            lat, lon, height = (np.broadcast_to(a, cell_shape) for a in (lat, lon, height))
        except ValueError:
            raise InputError(
                f"cell coordinates of shape {lat.shape} do not match horizons of shape "
                f"{horizon.shape} (cells {cell_shape} x azimuths)",
                field="latitude_deg",
            ) from None
    step_s = epoch_step_s(times)
    if reference is None:
        reference = map_reference(lat, lon, height)
    n_cells = int(np.prod(cell_shape, dtype=np.int64))
    flat_h = np.ascontiguousarray(horizon.reshape(n_cells, -1))
    h_min, h_max, tilt_max = _horizon_bounds(flat_h)
    wmax, wmin = _window_extremes(flat_h, GROUP_BINS)
    wmax_wide, wmin_wide = _window_extremes(flat_h, WIDE_GROUP_BINS)
    enu = np.ascontiguousarray(enu_basis(lat.ravel(), lon.ravel()))
    ref_km = _positions_km(
        np.array(reference.latitude_deg),
        np.array(reference.longitude_deg),
        np.array(reference.height_m),
    )
    offset = np.ascontiguousarray(_positions_km(lat.ravel(), lon.ravel(), height.ravel()) - ref_km)

    lit_count = np.zeros(n_cells, np.int64)
    disk_sum = np.zeros(n_cells, np.float64)
    earth_count = np.zeros(n_cells, np.int64)
    both_count = np.zeros(n_cells, np.int64)
    run_start = np.full(n_cells, -1, np.int64)
    best_length = np.zeros(n_cells, np.int64)
    best_start = np.full(n_cells, -1, np.int64)

    n_epochs = len(times.tt)
    block = max(1, int(block_epochs))
    for first in range(0, n_epochs, block):
        t_block = times[first : first + block]
        sun = topocentric_vectors(
            t_block, "sun", reference.latitude_deg, reference.longitude_deg, reference.height_m
        )
        earth = topocentric_vectors(
            t_block, "earth", reference.latitude_deg, reference.longitude_deg, reference.height_m
        )
        sun_distance = np.linalg.norm(sun, axis=0)
        sun_radius = np.radians(sun_angular_radius_deg(sun_distance))
        sun_unit = np.ascontiguousarray((sun / sun_distance).T)
        earth_distance = np.linalg.norm(earth, axis=0)
        # A cell's Earth vector is the reference's minus a fixed offset: its unit vector moves
        # by at most |dE| / (|E| - |offset|); 1 % covers offsets up to ~3,500 km.
        earth_step = _step_bounds((earth / earth_distance).T, 1.01)
        _accumulate(
            flat_h,
            h_min,
            h_max,
            tilt_max,
            wmax,
            wmin,
            GROUP_BINS,
            wmax_wide,
            wmin_wide,
            WIDE_GROUP_BINS,
            enu,
            offset,
            sun_unit,
            np.ascontiguousarray(sun_radius),
            np.ascontiguousarray(earth.T),
            _step_bounds(sun_unit, 1.01),
            earth_step,
            first,
            skip,
            lit_count,
            disk_sum,
            earth_count,
            both_count,
            run_start,
            best_length,
            best_start,
        )
        if progress is not None:
            progress(min(first + block, n_epochs), n_epochs)

    # Close the runs still dark at the end of the span.
    open_run = run_start >= 0
    open_length = np.where(open_run, n_epochs - run_start, 0)
    longer = open_length > best_length
    best_start = np.where(longer, run_start, best_start)
    best_length = np.where(longer, open_length, best_length)

    start_dt = np.datetime64(times[0].utc_datetime().replace(tzinfo=None), "ms")
    offsets_ms = np.round(np.maximum(best_start, 0) * step_s * 1000.0).astype("timedelta64[ms]")
    dark_start = np.where(best_start >= 0, start_dt + offsets_ms, np.datetime64("NaT", "ms"))

    def shaped(values):
        return np.asarray(values).reshape(cell_shape)

    percent = 100.0 / n_epochs
    return VisibilityStats(
        lit_percent=shaped(lit_count * percent),
        effective_illumination_percent=shaped(disk_sum * percent),
        earth_visible_percent=shaped(earth_count * percent),
        lit_and_earth_percent=shaped(both_count * percent),
        longest_dark_hours=shaped(best_length * step_s / 3600.0),
        longest_dark_start=shaped(dark_start),
        permanent_shadow=shaped(lit_count == 0),
        n_epochs=n_epochs,
        step_s=step_s,
        start_utc=times[0].utc_iso(),
        stop_utc=times[-1].utc_iso(),
    )
