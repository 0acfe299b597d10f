"""Outputs: series files (Parquet/CSV, atomic), KPI table, plotly figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moonbase.errors import InputError
from moonbase.systems import Drivers, reference_station, simulate_station


@pytest.fixture(scope="module")
def result():
    n = 24 * 40
    fraction = (np.arange(n) % 708 < 354).astype(float)  # 354 h days and nights
    drivers = Drivers(
        pd.date_range("2034-02-01", periods=n, freq="h"),
        fraction,
        np.full(n, 3.0),
        np.arange(n) % 360.0,
        fraction,
        crew=np.full(n, 2.0),
    )
    return simulate_station(reference_station(n_science=3), drivers, failures=True, seed=2)


def test_series_files_round_trip(result, tmp_path):
    parquet = tmp_path / "s.parquet"
    csv = tmp_path / "s.csv"
    result.write_series(parquet)
    result.write_series(csv)
    back = pd.read_parquet(parquet)
    pd.testing.assert_frame_equal(back, result.series, check_freq=False)
    assert list(pd.read_csv(csv, index_col=0).columns) == list(result.series.columns)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.parquet"]  # no temp left
    with pytest.raises(InputError, match=r"\.parquet or \.csv"):
        result.write_series(tmp_path / "s.xlsx")


def test_kpis_and_figures(result):
    table = result.kpi_table()
    assert set(table["kpi"]) >= {
        "energy_not_served_kwh",
        "hours_in_load_shed",
        "min_survival_margin_h",
        "o2_produced_kg",
        "data_delivered_gbit",
    }
    figures = result.figures()
    assert set(figures) == {"power", "storage", "life_support", "data"}
    served = figures["power"].data[3]
    assert served.name == "served"
    # the figure shows the simulated series (kW), not something recomputed
    np.testing.assert_allclose(served.y, result.series["served_w"].to_numpy() / 1000.0)
