"""Station digital twin: 20 years hourly for a 30-component station, and a failure Monte Carlo.

Run: ``python benchmarks/bench_systems.py [--years 20] [--runs 1000] [--mc-years 1]``

Rows:

* drivers: Sun/Earth series from the environment engine (flat horizon, DE421) for the span;
* single run: :func:`simulate_station` over the span (after a warm-up run that compiles the
  numba kernels, whose time is shown separately), against a plain-Python per-step loop of the
  same power dispatch timed on the first year and scaled to the span (ratio = equal work);
* Monte Carlo: ``--runs`` failure runs of ``--mc-years`` each (default 1 year: 1,000 runs of
  20 years would take far longer than a few minutes on 2 shared cores), one after another here
  and on Dask ``LocalCluster(n_workers=2, processes=True)``, as runs per second.

Timings on a shared machine are noisy; run it more than once before quoting a number.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from moonbase.systems import flat_horizon_drivers, monte_carlo, reference_station, simulate_station
from moonbase.systems.power import dispatch

SITE = (-89.45, 222.69)


def python_dispatch(generation_wh, demand_wh, capacity, floor, eta):
    """The dispatch of :func:`moonbase.systems.power.dispatch` as a plain per-step loop."""
    energy = capacity.copy()
    served = np.zeros_like(demand_wh)
    for t in range(len(generation_wh)):
        g, d = generation_wh[t], demand_wh[:, t].sum()
        if g >= d:
            surplus = g - d
            served[:, t] = demand_wh[:, t]
            for s in range(len(capacity)):
                x = max(0.0, min(surplus, (capacity[s] - energy[s]) / eta[s]))
                energy[s] += eta[s] * x
                surplus -= x
        else:
            need, supply = d - g, g
            for s in range(len(capacity)):
                x = max(0.0, min(need, (energy[s] - floor[s]) * eta[s]))
                energy[s] -= x / eta[s]
                need -= x
                supply += x
            for k in range(demand_wh.shape[0]):
                x = min(demand_wh[k, t], supply)
                served[k, t] = x
                supply -= x
    return served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--mc-years", type=float, default=1.0)
    args = parser.parse_args()
    station = reference_station(n_science=20)
    assert len(station.components) == 30
    start_year = 2030
    stop = f"{start_year + args.years - 1}-12-31T23:00" if args.years >= 1 else "2030-02-01"
    rows = []

    t0 = time.perf_counter()
    drivers = flat_horizon_drivers(
        *SITE, f"{start_year}-01-01", stop, "1h", horizon_deg=-1.5, crew=4, relay_available=0.3
    )
    rows.append(("drivers (Sun, Earth; flat horizon)", len(drivers), time.perf_counter() - t0, ""))

    t0 = time.perf_counter()
    simulate_station(station, _head(drivers, 1000), failures=True, seed=0)
    rows.append(("warm-up (numba compile or cache load)", 1000, time.perf_counter() - t0, ""))

    t0 = time.perf_counter()
    result = simulate_station(station, drivers, failures=True, seed=1)
    single = time.perf_counter() - t0
    rows.append(
        (
            f"single run, {args.years} y hourly, 30 components",
            len(drivers),
            single,
            f"{len(drivers) / single / 1e3:,.0f}k steps/s",
        )
    )

    # plain-Python dispatch of the same power problem over the first year, scaled to the span
    year = min(8766, len(drivers))
    n_store = 2
    # the loads as served in the run stand in for the demand rows: the same shape of work
    demand = np.vstack([result.arrays[c] for c in result.arrays if c.startswith("served_w:")])
    generation = (result.arrays["pv_w"] + result.arrays["fission_w"])[:year]
    capacity = np.array([600_000.0, 1_000_000.0])
    floor = capacity * np.array([0.2, 0.05])
    eta = np.sqrt([0.9, 0.5])
    t0 = time.perf_counter()
    python_dispatch(generation, demand[:, :year].copy(), capacity, floor, eta)
    python_s = (time.perf_counter() - t0) * len(drivers) / year
    t0 = time.perf_counter()
    dispatch(
        generation,
        demand[:, :year],
        capacity_wh=capacity,
        depth_of_discharge=[0.8, 0.95],
        round_trip_efficiency=[0.9, 0.5],
        initial_soc=[1.0, 1.0],
    )
    numba_s = (time.perf_counter() - t0) * len(drivers) / year
    rows.append(
        (
            "dispatch only, numba (scaled from 1 y)",
            len(drivers),
            numba_s,
            f"x{python_s / numba_s:,.0f} vs Python",
        )
    )
    rows.append(
        ("dispatch only, plain Python loop (scaled)", len(drivers), python_s, f"{n_store} stores")
    )

    mc_drivers = _head(drivers, int(args.mc_years * 8766))
    serial_n = min(args.runs, 50)
    t0 = time.perf_counter()
    monte_carlo(station, mc_drivers, serial_n, seed=0)
    serial = (time.perf_counter() - t0) / serial_n
    rows.append(
        (
            f"Monte Carlo serial ({serial_n} runs of {args.mc_years:g} y)",
            len(mc_drivers),
            serial * serial_n,
            f"{1 / serial:,.1f} runs/s",
        )
    )
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm)
        t0 = time.perf_counter()
        table = monte_carlo(station, mc_drivers, args.runs, seed=0, client=client, batch_size=25)
        elapsed = time.perf_counter() - t0
    rows.append(
        (
            f"Monte Carlo Dask 2 workers ({args.runs} runs of {args.mc_years:g} y)",
            len(mc_drivers),
            elapsed,
            f"{args.runs / elapsed:,.1f} runs/s, x{serial * args.runs / elapsed:.2f} vs serial",
        )
    )

    print(f"{'case':58s} {'steps':>8s} {'seconds':>9s}  note")
    for name, steps, seconds, note in rows:
        print(f"{name:58s} {steps:8,d} {seconds:9.3f}  {note}")
    print(
        f"\nMonte Carlo: failures per run mean {table['failures'].mean():.1f}, "
        f"energy not served p50/p95 {table['energy_not_served_kwh'].quantile(0.5):,.0f} / "
        f"{table['energy_not_served_kwh'].quantile(0.95):,.0f} kWh"
    )
    print(
        f"largest balance residual (single run): {result.kpis['max_balance_relative_residual']:.1e}"
    )


def _head(drivers, n):
    n = min(n, len(drivers))
    return type(drivers)(
        drivers.times_utc[:n],
        drivers.sun_fraction[:n],
        drivers.sun_elevation_deg[:n],
        drivers.sun_azimuth_deg[:n],
        drivers.earth_visible[:n],
        drivers.relay_available[:n],
        drivers.crew[:n],
        drivers.sun_distance_au[:n],
    )


def _warm():
    """Import and run a tiny case in a worker so numba kernels are loaded before timing."""
    drivers = flat_horizon_drivers(*SITE, "2030-01-01", "2030-01-03", "1h", crew=1)
    simulate_station(reference_station(), drivers, failures=True, seed=0)


if __name__ == "__main__":
    main()
