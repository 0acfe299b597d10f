"""Illumination maps: 512 x 512 cells over one 18.6-year precession cycle, hourly.

Runs the map kernel (``moonbase.site.visibility_statistics``) on a measured slice of the span
(default 30 days hourly, all cells) and scales linearly to the full 163,000 epochs (the kernel's
work is exactly proportional to cells x epochs; the ephemeris, ~55 ms per 175,000 epochs, is
negligible). In the same run it times the straightforward peer: per-cell numpy evaluation with
``moonbase.ephemeris.horizontal`` at every cell and numpy over all epochs (no darkness runs), on
a few cells, and prints the ratio per cell-epoch. Peak memory is the process's maximum resident set size.

Horizons are synthetic but polar-like (a few random sinusoids in azimuth, +-2 deg, float32),
or computed from a synthetic terrain with ``--terrain`` when ``moonbase.terrain`` is present.

    python benchmarks/bench_illumination.py             # 512 x 512, 30 days, scaled
    python benchmarks/bench_illumination.py --days 365  # a larger measured slice
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from moonbase.constants import MOON_RADIUS_M
from moonbase.ephemeris import horizontal
from moonbase.ephemeris.disk import sun_angular_radius_deg
from moonbase.site import interpolate_horizon, tilted_disk_fraction, visibility_statistics
from moonbase.time import parse_utc, time_range

FULL_EPOCHS = int(18.6 * 365.25 * 24) + 1


def polar_grid(n: int, pixel_m: float):
    """Cells of an n x n south-polar stereographic grid centred 10 km from the pole."""
    y, x = (np.mgrid[0:n, 0:n] - (n - 1) / 2.0) * pixel_m
    x = x + 10_000.0
    rho = np.hypot(x, y)
    lat = -90.0 + np.degrees(2.0 * np.arctan(rho / (2.0 * MOON_RADIUS_M)))
    lon = np.mod(np.degrees(np.arctan2(x, y)), 360.0)
    return lat, lon


def synthetic_horizons(n: int, n_az: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    az = np.radians(np.arange(n_az) * 360.0 / n_az).astype(np.float32)
    horizon = np.zeros((n, n, n_az), np.float32)
    for k in (1, 2, 3, 5, 8):
        amp = rng.uniform(0.0, 1.2 / k, (n, n, 1)).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, (n, n, 1)).astype(np.float32)
        horizon += amp * np.sin(np.float32(k) * az + phase)
    horizon += rng.uniform(-0.5, 0.8, (n, n, 1)).astype(np.float32)
    return horizon


def numpy_peer(horizon, lat, lon, times):
    """The straightforward way: the ephemeris at every cell itself, vectorised with numpy over
    cells x epochs at once (memory grows as cells x epochs), no darkness runs."""
    sun = horizontal(times, "sun", lat, lon, 0.0)
    earth = horizontal(times, "earth", lat, lon, 0.0)
    h_sun, slope = interpolate_horizon(horizon, sun.azimuth_deg)
    fraction = tilted_disk_fraction(
        sun.elevation_deg, sun_angular_radius_deg(sun.distance_km), h_sun, slope
    )
    seen = earth.elevation_deg > interpolate_horizon(horizon, earth.azimuth_deg)[0]
    lit = fraction > 0
    return lit.mean(-1), fraction.mean(-1), seen.mean(-1), (lit & seen).mean(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=512, help="map side (cells)")
    parser.add_argument("--azimuths", type=int, default=360)
    parser.add_argument("--days", type=float, default=30.0, help="measured slice, hourly")
    parser.add_argument("--peer-cells", type=int, default=256, help="cells for the numpy peer")
    parser.add_argument(
        "--no-skip", action="store_true", help="also time the kernel without sample skipping"
    )
    args = parser.parse_args()

    n = args.cells
    lat, lon = polar_grid(n, 200.0)
    horizon = synthetic_horizons(n, args.azimuths)
    start = parse_utc("2030-01-01")
    times = time_range(start, start.ts.tt_jd(start.tt + args.days), "1h")
    epochs = len(times.tt)

    # Warm up (numba compile or cache load) on a tiny problem.
    visibility_statistics(horizon[:2, :2], lat[:2, :2], lon[:2, :2], 0.0, times[:5])
    numpy_peer(horizon[0, :2], lat[0, :2], lon[0, :2], times[:5])
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    t0, c0 = time.perf_counter(), time.process_time()
    stats = visibility_statistics(horizon, lat, lon, 0.0, times)
    kernel_s, kernel_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    per_cell_epoch = kernel_s / (n * n * epochs)

    no_skip_s = None
    if args.no_skip:
        t0 = time.perf_counter()
        visibility_statistics(horizon, lat, lon, 0.0, times, skip=False)
        no_skip_s = time.perf_counter() - t0

    cells = np.arange(args.peer_cells)
    rows, cols = cells // n, cells % n
    t0 = time.perf_counter()
    numpy_peer(horizon[rows, cols], lat[rows, cols], lon[rows, cols], times)
    peer_s = time.perf_counter() - t0
    peer_per = peer_s / (args.peer_cells * epochs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    full_s = per_cell_epoch * n * n * FULL_EPOCHS
    print(f"illumination map, {n} x {n} cells x {args.azimuths} azimuths (horizons float32)")
    print(f"measured slice: {epochs} hourly epochs; full cycle: {FULL_EPOCHS} epochs (scaled)")
    print(f"{'what':44s} {'seconds':>10s} {'ns/cell-epoch':>14s}")
    print(f"{'map kernel, measured slice':44s} {kernel_s:10.2f} {per_cell_epoch * 1e9:14.1f}")
    print(f"{'map kernel, 18.6 y hourly (scaled)':44s} {full_s:10.0f} {'':>14s}")
    cpu_per = kernel_cpu_s / (n * n * epochs)
    print(f"{'map kernel CPU time (all threads)':44s} {kernel_cpu_s:10.2f} {cpu_per * 1e9:14.1f}")
    print(
        f"{'  18.6 y hourly on 2 idle cores (CPU / 2)':44s} "
        f"{cpu_per * n * n * FULL_EPOCHS / 2:10.0f} {'':>14s}"
    )
    if no_skip_s is not None:
        per = no_skip_s / (n * n * epochs)
        print(
            f"{'map kernel without skipping, measured slice':44s} {no_skip_s:10.2f} {per * 1e9:14.1f}"
        )
    print(
        f"{'numpy peer (ephemeris at each cell), ' + str(args.peer_cells) + ' cells':44s} "
        f"{peer_s:10.2f} {peer_per * 1e9:14.1f}"
    )
    print(f"{'peer / kernel (per cell-epoch)':44s} {peer_per / per_cell_epoch:10.1f}x")
    print(f"{'peak resident memory before the map (MB)':44s} {before_mb:10.0f}")
    print(f"{'peak resident memory, whole run (MB)':44s} {peak_mb:10.0f}")
    print(f"mean lit over the slice: {stats.lit_percent.mean():.1f} %")
    print("note: 2 shared cores; timings vary by tens of percent between runs")


if __name__ == "__main__":
    main()
