"""Monte Carlo of random failures: many seeded runs, KPIs per run, optionally on Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd

from moonbase.systems.simulate import simulate_station

__all__ = ["monte_carlo"]


def _batch(station, drivers, seeds, options) -> list[dict]:
    rows = []
    for seed in seeds:
        kpis = simulate_station(station, drivers, failures=True, seed=int(seed), **options).kpis
        rows.append({"seed": int(seed), **kpis})
    return rows


def monte_carlo(
    station, drivers, n_runs: int, *, seed: int = 0, client=None, batch_size: int = 10, **options
) -> pd.DataFrame:
    """KPIs of ``n_runs`` failure runs (seeds ``seed .. seed + n_runs - 1``), one row per run.

    With a :class:`distributed.Client` the runs go out in batches of ``batch_size`` (the
    station and drivers are scattered once); without one they run here, one after another.
    """
    seeds = np.arange(seed, seed + n_runs)
    batches = [seeds[i : i + batch_size] for i in range(0, n_runs, batch_size)]
    if client is None:
        rows = [row for b in batches for row in _batch(station, drivers, b, options)]
    else:
        s, d = client.scatter([station, drivers], broadcast=True)
        futures = [client.submit(_batch, s, d, b, options, pure=False) for b in batches]
        rows = [row for result in client.gather(futures) for row in result]
    return pd.DataFrame(rows).set_index("seed")
