"""Sun elevation at lunar sites: moonbase (vectorised) against a spiceypy per-epoch loop.

Run: ``python benchmarks/bench_ephemeris.py [--spice-calls N]``

Both use the same data (DE421, the DE421 lunar orientation kernel, a 1737.4 km sphere) and the
same aberration convention (SPICE ``CN+S``). SPICE is timed over a subset of the calls (default
20,000) and its per-call time is scaled to the full size; the ratio is for equal work and the
accuracy column is the largest elevation difference over that subset.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import spiceypy as sp

from moonbase.constants import MOON_RADIUS_KM
from moonbase.datastore import locate
from moonbase.ephemeris import horizontal, surface_point_km
from moonbase.time import tdb_seconds, timescale


def load_spice() -> None:
    for name in ("de421.bsp", "moon_pa_de421_1900-2050.bpc", "moon_080317.tf"):
        sp.furnsh(str(locate(name)))
    sp.pdpool("BODY301_RADII", [MOON_RADIUS_KM] * 3)


def spice_elevations(et: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """One ``azlcpo`` call per (site, epoch): the per-epoch loop a SPICE user would write."""
    out = np.empty((len(positions), len(et)))
    for m, position in enumerate(positions):
        for n, epoch in enumerate(et):
            state, _ = sp.azlcpo(
                "ELLIPSOID", "SUN", epoch, "CN+S", False, True, position, "MOON", "MOON_ME"
            )
            out[m, n] = state[2]
    return np.degrees(out)


def best_of(repeats: int, func, *args):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def case(label, t, latitude_deg, longitude_deg, spice_calls):
    lat = np.atleast_1d(latitude_deg)
    lon = np.atleast_1d(longitude_deg)
    horizontal(t[:10], "sun", lat[:2], lon[:2])  # compile and load outside the timing
    ours_s, ours = best_of(3, lambda: horizontal(t, "sun", lat, lon).elevation_deg)
    et = tdb_seconds(t)
    n_sites = max(1, min(len(lat), spice_calls // len(et)))
    n_epochs = min(len(et), spice_calls // n_sites)
    positions = np.ascontiguousarray(surface_point_km(lat[:n_sites], lon[:n_sites]).T)
    start = time.perf_counter()
    reference = spice_elevations(et[:n_epochs], positions)
    spice_per_call = (time.perf_counter() - start) / reference.size
    total_calls = len(lat) * len(et)
    spice_s = spice_per_call * total_calls
    error_arcsec = np.abs(reference - ours.reshape(len(lat), -1)[:n_sites, :n_epochs]).max() * 3600
    return {
        "case": label,
        "evaluations": total_calls,
        "moonbase_s": ours_s,
        "spiceypy_loop_s": spice_s,
        "speedup": spice_s / ours_s,
        "max_diff_arcsec": error_arcsec,
        "spice_measured_calls": reference.size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spice-calls", type=int, default=20_000)
    args = parser.parse_args()
    load_spice()
    ts = timescale()
    rows = [
        case(
            "1 site x 20 years hourly",
            ts.tdb_jd(2462502.5 + np.arange(175_320) / 24.0),
            -89.45,
            222.69,
            args.spice_calls,
        ),
    ]
    rng = np.random.default_rng(1)
    rows.append(
        case(
            "10,000 sites x 720 epochs",
            ts.tdb_jd(2462502.5 + np.arange(720) / 24.0),
            rng.uniform(-90.0, -80.0, 10_000),
            rng.uniform(0.0, 360.0, 10_000),
            args.spice_calls,
        )
    )
    header = (
        f"{'case':28s} {'evaluations':>12s} {'moonbase s':>11s} {'spiceypy s':>11s} "
        f"{'speedup':>8s} {'max diff':>10s}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['case']:28s} {r['evaluations']:12,d} {r['moonbase_s']:11.3f} "
            f'{r["spiceypy_loop_s"]:11.2f} {r["speedup"]:7.0f}x {r["max_diff_arcsec"]:8.1e}"'
        )
    print(
        f"(spiceypy timed over {rows[0]['spice_measured_calls']:,} calls per case and scaled; "
        "moonbase best of 3 after a warm-up)"
    )


if __name__ == "__main__":
    main()
