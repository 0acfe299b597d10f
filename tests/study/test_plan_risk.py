"""The whole plan under risk: limits, a hand case, workers and the couplings it composes.

One small plan (``plan_risk_small.toml``: a fission unit flown before the plan, a relay, a rover
and a laboratory still to fly, two partners, a 3.5-year campaign) on the synthetic terrain,
shared by the module. The references are outside :mod:`moonbase.study`:

* the deterministic limit (every launch succeeds, no slip or delay, no component failure) is
  the plan made again by the stage functions (``run_station``/``run_station_with`` with the
  campaign's arrivals and the plan's manifests, the science adapters, the fair greedy toward
  the plan's fair shares), and its shares by year are counted from the schedule's UTC starts;
* the hand case: the laboratory is its partner's only element and flies alone on a launcher
  whose Beta(700, 300) prior gives each launch a failure probability ``q = 300 / 1000`` (the
  prior's mean, whatever its spread); with one attempt and no slips the partner gets science
  with probability ``1 - q``, within 4 binomial standard errors;
* the campaign part draws exactly what the campaign's Monte Carlo draws for the same seed and
  chunks.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

import moonbase
from moonbase.campaign.risk import RiskConfig, monte_carlo
from moonbase.cli.app import main
from moonbase.report.html import render_report
from moonbase.scenario import load_scenario
from moonbase.site.stage import site_terrain
from moonbase.study import PlanRiskConfig, plan_risk
from moonbase.study.montecarlo import compile_plan_risk, sample_science, sample_station

HERE = Path(__file__).parent
AS_OF = date(2030, 1, 1)
QUIET = RiskConfig(slip_probability=0.0, launch_delay_mean_months=0.0)
Q = 300.0 / (700.0 + 300.0)  # HEAVY-B's prior mean failure probability


@pytest.fixture(scope="module")
def small_plan():
    scenario = load_scenario(HERE / "plan_risk_small.toml")
    return moonbase.plan(
        scenario,
        as_of=AS_OF,
        terrain=site_terrain(synthetic=True),
        risk_runs=50,
        risk_workers=0,
        campaign_time_limit_s=5.0,
        science_time_limit_s=1.0,
    )


@pytest.fixture(scope="module")
def hand_case(small_plan):
    config = PlanRiskConfig(
        component_failures=False, campaign=QUIET.model_copy(update={"max_attempts": 1})
    )
    return plan_risk(small_plan, runs=400, workers=0, seed=4, chunk_runs=100, config=config)


def _nominal_by_stage_functions(plan):
    """The plan's station and fair greedy remade by the stage functions, failures off."""
    from moonbase.science.adapters import (
        requests_from_scenario,
        resources_from_systems,
        with_element_windows,
    )
    from moonbase.science.greedy import schedule_greedy
    from moonbase.science.instance import build_instance
    from moonbase.science.models import SchedulingProblem
    from moonbase.systems.stage import run_station, run_station_with

    bare = run_station(plan.scenario, plan.site, plan.campaign, failures=False)
    station = run_station_with(bare, plan.logistics.cargo())
    resources = with_element_windows(
        resources_from_systems(station.simulation), plan.scenario, plan.campaign.arrivals()
    )
    partners, requests = requests_from_scenario(plan.scenario)
    problem = SchedulingProblem(partners=partners, requests=requests, resources=resources)
    instance = replace(build_instance(problem), entitlement=plan.science.instance.entitlement)
    return station, instance, schedule_greedy(instance, fair=True)


def _shares_by_year(instance, schedule, year):
    """Each partner's share of the utilisation of the runs starting before ``year + 1``."""
    utilisation = {
        (instance.requests[q].id, int(k)): (int(p), float(u))
        for q, k, p, u in zip(
            instance.job_request,
            instance.job_repeat,
            instance.job_partner,
            instance.utilisation,
            strict=True,
        )
    }
    used = np.zeros(len(instance.partner_ids))
    for a in schedule.assignments:
        if a.start_utc < f"{year + 1}-01-01":
            partner, amount = utilisation[(a.request_id, a.repeat)]
            used[partner] += amount
    return used / used.sum() if used.sum() > 0 else used


def test_deterministic_limit_every_sample_is_the_nominal_plan(small_plan):
    config = PlanRiskConfig(launch_failures=False, component_failures=False, campaign=QUIET)
    risk = plan_risk(small_plan, runs=12, workers=0, seed=3, chunk_runs=4, config=config)
    station, instance, greedy = _nominal_by_stage_functions(small_plan)
    final = _shares_by_year(instance, greedy, int(risk.years[-1]))
    assert final.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(risk.delivered_share(), np.tile(final, (12, 1)), rtol=1e-12)
    assert np.all(risk.science_value == greedy.value)
    expected_critical = station.kpis["critical_energy_not_served_kwh"]
    assert np.all(risk.critical_energy_not_served_kwh == expected_critical)
    operating = small_plan.campaign.basic_model_operating()
    assert np.all(risk.campaign.completion_dates() == np.datetime64(operating, "D"))
    for year in risk.years:  # by year: the runs the schedule starts before its end
        expected = _shares_by_year(instance, greedy, int(year))
        np.testing.assert_allclose(risk.delivered_share(int(year))[0], expected, rtol=1e-12)
        for fraction in config.fractions:
            p = risk.probability_at_least(fraction)[int(year)].to_numpy()
            target = fraction * risk.fair_share * (1 - config.share_tolerance)
            np.testing.assert_array_equal(p, ((expected >= target) & (expected > 0)) * 1.0)
    assert set(np.unique(risk.probability_table().iloc[:, 2:].to_numpy())) <= {0.0, 1.0}
    # against the contract: contributions of 600 and 400 M$ give 60 % and 40 % by hand
    np.testing.assert_allclose(risk.entitlement, [0.6, 0.4], rtol=1e-12)
    last = int(risk.years[-1])
    a_share = final[risk.partners.index("AGENCY-A")]
    assert 0.5 * 0.6 * 0.99 <= a_share < 0.6  # A asks for less than its 60 %
    assert risk.probability_at_least(0.5, basis="entitlement").loc["AGENCY-A", last] == 1.0
    assert risk.probability_at_least(1.0, basis="entitlement").loc["AGENCY-A", last] == 0.0


def test_a_sample_with_the_plans_arrivals_and_seed_is_the_plan(small_plan):
    """With component failures on, the plan's own draws: the twin and the fair greedy agree."""
    spec, _ = compile_plan_risk(small_plan, PlanRiskConfig())
    arrivals = small_plan.campaign.arrivals()
    simulation = sample_station(spec, arrivals, small_plan.systems_before_science.seed)
    plan_twin = small_plan.systems_before_science.simulation
    np.testing.assert_array_equal(
        simulation.drivers.relay_available, plan_twin.drivers.relay_available
    )
    assert plan_twin.drivers.relay_available.max() > 0  # the relay serves the cell
    assert simulation.kpis == plan_twin.kpis
    usage, value = sample_science(spec, simulation, arrivals)
    np.testing.assert_array_equal(usage, spec.nominal_usage)
    assert value == small_plan.science.schedules["greedy-fair"].value


def test_sampled_arrivals_reach_the_twin_and_the_science(small_plan):
    """Each coupling a sample makes: a moved or lost element moves or removes its components,
    its flight's manifest, its relay service and its experiments' window."""
    spec, years = compile_plan_risk(small_plan, PlanRiskConfig(component_failures=False))
    nominal = small_plan.campaign.arrivals()
    moved = {**nominal, "LAB-1": date(2031, 3, 1), "ROVER-A": date(2031, 5, 1)}
    simulation = sample_station(spec, moved, 0)
    arrival = {c.name: c.arrival_utc for c in simulation.station.components}
    assert arrival["LAB-1:operations"].date() == date(2031, 3, 1)
    assert arrival["manifest:HEAVY-A#1"].date() == date(2031, 5, 1)  # with ROVER-A's flight
    usage, _ = sample_science(spec, simulation, moved)
    b, y2030 = [p.id for p in spec.partners].index("AGENCY-B"), list(years).index(2030)
    assert spec.nominal_usage[b, y2030] > 0 and usage[b, y2030] == 0
    assert usage[b].sum() > 0
    lost = {k: v for k, v in nominal.items() if k not in ("ROVER-A", "RELAY-A")}
    simulation = sample_station(spec, lost, 0)
    names = {c.name for c in simulation.station.components}
    assert "manifest:HEAVY-A#1" not in names and "ROVER-A:operations" not in names
    assert simulation.drivers.relay_available.max() == 0  # the only relay is lost
    assert simulation.kpis["data_delivered_relay_gbit"] == 0


def test_relays_propagated_per_sample_agree_with_the_table(small_plan, monkeypatch):
    """Past MAX_TABULATED_RELAYS each sample propagates its relays; both ways agree."""
    from moonbase.study import montecarlo

    tabulated, _ = compile_plan_risk(small_plan, PlanRiskConfig())
    monkeypatch.setattr(montecarlo, "MAX_TABULATED_RELAYS", 0)
    propagated, _ = compile_plan_risk(small_plan, PlanRiskConfig())
    assert tabulated.relays.table is not None and propagated.relays.table is None
    dates = {**small_plan.campaign.arrivals(), "RELAY-A": date(2031, 7, 1)}
    expected = montecarlo._relay_available(tabulated, dates)
    assert 0 < expected.mean() < expected[-1000:].mean()  # the relay serves from its arrival
    np.testing.assert_array_equal(montecarlo._relay_available(propagated, dates), expected)


def test_hand_case_a_launch_failure_without_reflight(hand_case):
    risk = hand_case
    share = risk.delivered_share()
    b = risk.partners.index("AGENCY-B")
    got = float(np.mean(share[:, b] > 0))
    error = math.sqrt(Q * (1 - Q) / risk.n_runs)
    assert abs(got - (1 - Q)) < 4 * error, (got, 1 - Q, error)
    # the laboratory arrives or is lost: the partner's runs all fit, or it has none
    arrived = share[:, b] > 0
    assert np.all(risk.campaign.lost[arrived, b] == 0)
    assert np.all(risk.campaign.lost[~arrived, b] == 1)
    # arriving, it is served all it asks for: at least its fair share by the last year
    p = risk.probability_at_least(1.0).loc["AGENCY-B", int(risk.years[-1])]
    assert p == pytest.approx(got)
    a = risk.partners.index("AGENCY-A")
    assert np.all(share[:, a] > 0)  # its power unit flew before the plan


def test_cutting_the_science_replan_changes_the_distribution(small_plan, hand_case):
    config = hand_case.config.model_copy(update={"replan_science": False})
    cut = plan_risk(small_plan, runs=400, workers=0, seed=4, chunk_runs=100, config=config)
    np.testing.assert_array_equal(cut.campaign.lost, hand_case.campaign.lost)  # same arrivals
    b = cut.partners.index("AGENCY-B")
    assert np.all(cut.delivered_share()[:, b] > 0)  # the nominal schedule every time
    assert np.mean(hand_case.delivered_share()[:, b] > 0) < 0.8


def test_campaign_part_is_the_campaign_monte_carlo(small_plan):
    risk = plan_risk(small_plan, runs=30, workers=0, seed=9, chunk_runs=7)
    campaign = monte_carlo(
        small_plan.campaign.result,
        n_runs=30,
        seed=9,
        n_workers=0,
        chunk_runs=7,
        config=small_plan.campaign.risk.config,
    )
    np.testing.assert_array_equal(risk.campaign.completion_bucket, campaign.completion_bucket)
    np.testing.assert_array_equal(risk.campaign.lost, campaign.lost)
    assert risk.campaign.probability_by() == campaign.probability_by()


def test_campaign_arrivals_come_from_the_same_draws(small_plan):
    from moonbase.campaign.risk import simulate_chunk
    from moonbase.study.montecarlo import operating_dates

    config = PlanRiskConfig(launch_failures=False, campaign=QUIET)
    spec, _ = compile_plan_risk(small_plan, config)
    seed = np.random.SeedSequence(11)
    with_arrivals = simulate_chunk(spec.campaign, seed, 5, arrivals=True)
    # no failure, slip or delay: every run's dates are the plan's own arrivals
    for ready in with_arrivals["ready_bucket"]:
        dates = operating_dates(spec.element_ids, spec.bucket_starts, ready)
        assert dates == small_plan.campaign.arrivals()
    spec, _ = compile_plan_risk(small_plan, PlanRiskConfig())
    with_arrivals = simulate_chunk(spec.campaign, seed, 50, arrivals=True)
    without = simulate_chunk(spec.campaign, seed, 50)
    assert set(with_arrivals) - set(without) == {"ready_bucket"}
    for key, value in without.items():
        np.testing.assert_array_equal(with_arrivals[key], value)
    basic = with_arrivals["ready_bucket"][:, spec.campaign.basic].max(axis=1)
    np.testing.assert_array_equal(basic, without["completion_bucket"])


@pytest.fixture(scope="module")
def on_workers(small_plan):
    return {w: plan_risk(small_plan, runs=12, workers=w, seed=5, chunk_runs=3) for w in (0, 1, 2)}


def test_identical_on_zero_one_and_two_workers(on_workers):
    zero = on_workers[0]
    for workers in (1, 2):
        other = on_workers[workers]
        assert other.n_workers == workers
        np.testing.assert_array_equal(other.usage, zero.usage)
        np.testing.assert_array_equal(other.science_value, zero.science_value)
        np.testing.assert_array_equal(
            other.critical_energy_not_served_kwh, zero.critical_energy_not_served_kwh
        )
        np.testing.assert_array_equal(
            other.campaign.completion_bucket, zero.campaign.completion_bucket
        )
    assert zero.usage.std(axis=0).max() > 0  # the samples differ: a test that can fail


def test_summary_is_json_and_the_section_renders(on_workers):
    risk = on_workers[0]
    summary = risk.summary()
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["runs"] == 12
    assert set(summary["partners"]) == {"AGENCY-A", "AGENCY-B"}
    curve = summary["partners"]["AGENCY-B"]["p_at_least"]["0.8"]
    assert list(curve) == [str(y) for y in risk.years]
    assert all(0.0 <= v <= 1.0 for v in curve.values())
    section = risk.section()
    assert len(section.figures) == 3
    html = render_report("risk", [section])
    assert "The whole plan under risk" in html


def test_cli_writes_the_report_and_refuses_bad_input(small_plan, tmp_path, monkeypatch, capsys):
    from moonbase import spine

    assert main(["risk", "--runs", "0", "--out", str(tmp_path)]) == 2
    assert "--runs" in capsys.readouterr().err
    missing = tmp_path / "nope.toml"
    assert main(["risk", "--scenario", str(missing), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope.toml" in err and len(err.splitlines()) == 1
    monkeypatch.setattr(spine, "plan", lambda *args, **kwargs: small_plan)
    out = tmp_path / "out"
    args = ["risk", "--runs", "4", "--workers", "0", "--synthetic-terrain", "--out", str(out)]
    assert main(args) == 0
    summary = json.loads((out / "plan_risk.json").read_text(encoding="utf-8"))
    assert summary["runs"] == 4
    assert (out / "plan_risk.html").stat().st_size > 10_000
    for name in ("station", "partners", "probabilities"):
        assert (out / f"plan_risk_{name}.csv").is_file()


def test_unreachable_scheduler_is_one_line(small_plan):
    import dask

    from moonbase.errors import InputError

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
            plan_risk(small_plan, runs=2, scheduler_address="tcp://127.0.0.1:9")
