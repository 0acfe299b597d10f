"""The main job: every stage on the reference scenario, consistent with each stage's own checks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from moonbase.campaign import check_plan
from moonbase.cli.app import main
from moonbase.pipeline import SITE_SEARCH_KM, run_scenario
from moonbase.scenario import builtin_scenario
from moonbase.terrain.projection import xy_of_latlon


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, run_scenario(out, risk_runs=2_000, risk_workers=0, time_limit_s=30.0)


def test_report_has_every_stage(reference_run):
    out, result = reference_run
    html = result.report_path.read_text()
    for heading in ("Scenario:", "Environment:", "Campaign:", "Site:", "Systems:", "Science"):
        assert f"<h2>{heading}" in html
    assert html.count("plotly.js") >= 1
    # ILRS-1's comms figures make a terminal whose buffer the science schedule may use
    assert "Science data wait for the downlink in 2,000 Gbit of onboard storage" in html
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_plan_satisfies_the_independent_checker(reference_run):
    _, result = reference_run
    from moonbase.campaign import optimise_campaign

    plan = optimise_campaign(builtin_scenario(), time_limit_s=30.0)
    assert check_plan(plan.instance, plan.plan) == []
    assert str(plan.completion_date()) == result.headline["basic_model_operating"]
    # The public roadmap puts the basic model around 2035.
    assert result.headline["basic_model_operating"].startswith(("2034", "2035", "2036"))


def test_station_site_is_near_the_scenario_site(reference_run):
    out, _ = reference_run
    site = builtin_scenario().site
    ranking = pd.read_csv(out / "site_ranking.csv")
    x0, y0 = xy_of_latlon(site.latitude_deg, site.longitude_deg)
    distance_km = np.hypot(ranking["x_m"] - x0, ranking["y_m"] - y0) / 1000.0
    assert (distance_km <= SITE_SEARCH_KM + 1e-9).all()
    assert ranking["rank"].tolist() == sorted(ranking["rank"])


def test_systems_balance_and_summary(reference_run):
    out, _ = reference_run
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["p_basic_model_by_target"] <= 1.0
    # Energy, heat, mass and data balances close to rounding error (the systems stage's check).
    assert summary["max_balance_relative_residual"] < 1e-12
    assert 0.0 < summary["site_lit_percent"] <= 100.0
    series = pd.read_parquet(out / "systems_series.parquet")
    assert len(series) == len(pd.read_csv(out / "site_series.csv"))


def test_run_cli_reports_bad_scenario_path(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path), "--scenario", str(tmp_path / "none.toml")]) == 2
    assert "none.toml" in capsys.readouterr().err
