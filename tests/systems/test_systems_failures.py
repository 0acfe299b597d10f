"""Failures: exponential MTBF draws, repairs with spares, seeded reproducibility, Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.systems import Drivers, monte_carlo, simulate_station
from moonbase.systems.failures import availability


def test_availability_matches_renewal_theory():
    # With unlimited spares the long-run availability of an alternating renewal process is
    # MTBF / (MTBF + MTTR) = 100 / (100 + 25) = 0.8; over 2e6 h (about 16,000 cycles) the
    # sampling error is ~0.2 % (1-sigma), so 1 % is a >4-sigma bound. Failure and repair times
    # are both rounded up to whole steps, and a 25 h repair stays exactly 25 one-hour steps.
    n = 2_000_000
    working, failures, final = availability(
        n, 1.0, mtbf_h=100.0, mttr_h=25.0, spares=10**9, start_index=0, rng=np.random.default_rng(3)
    )
    assert working.mean() == pytest.approx(0.8, rel=0.01)
    assert failures == pytest.approx(2e6 / 125, rel=0.03)
    assert not final


def test_no_spares_means_the_first_failure_is_final():
    working, failures, final = availability(
        10_000,
        1.0,
        mtbf_h=100.0,
        mttr_h=10.0,
        spares=0,
        start_index=50,
        rng=np.random.default_rng(1),
    )
    assert failures == 1 and final
    assert working[:50].all()
    first = np.argmin(working)
    assert not working[first:].any()


def test_failures_change_capability_and_are_seeded():
    n = 24 * 365
    drivers = Drivers(
        pd.date_range("2035-01-01", periods=n, freq="h"),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n),
        np.ones(n),
    )
    station = {
        "components": [
            {
                "type": "fission_reactor",
                "name": "fsp",
                "power_w": 40_000.0,
                "mtbf_h": 2_000.0,
                "mttr_h": 100.0,
                "spares": 100,
            },
            {"type": "load", "name": "base", "power_w": 10_000.0, "priority": 1},
        ]
    }
    a = simulate_station(station, drivers, failures=True, seed=5)
    b = simulate_station(station, drivers, failures=True, seed=5)
    assert a.kpis == b.kpis
    # every hour the reactor is down, the 10 kW load is not served
    down_h = a.kpis["hours_critical_unserved"]
    assert a.kpis["failures"] >= 1
    assert a.kpis["critical_energy_not_served_kwh"] == pytest.approx(10.0 * down_h)
    assert simulate_station(station, drivers).kpis["failures"] == 0
    runs = monte_carlo(station, drivers, 6, seed=0, batch_size=4)
    assert list(runs.index) == list(range(6))
    assert runs["failures"].nunique() > 1
