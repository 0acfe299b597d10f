"""Monte Carlo: analytic cases (exact or within binomial error) and determinism across workers.

Single-flight cases have closed forms: with ``p ~ Beta(a, b)`` the first attempt fails with
probability ``E[1 - p] = b / (a + b)``; with no slips and no delays the completion bucket is the
planned one exactly. Binomial tolerances are 5 standard errors.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from moonbase.campaign import (
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
    bucket_starts,
    greedy_plan,
    optimise_campaign,
)
from moonbase.campaign.risk import RiskConfig, monte_carlo
from moonbase.campaign.synthetic import synthetic_instance

QUIET = dict(slip_probability=0.0, launch_delay_mean_months=0.0)


def one_flight(alpha, beta, *, daylight=None):
    return CampaignInstance(
        elements=[
            CampaignElement(
                id="a", partner="P", landed_mass_kg=1000, basic_model=True, cost_musd=100
            )
        ],
        launchers=[
            CampaignLauncher(
                id="L",
                partner="P",
                capacity_tli_kg=5000,
                landed_fraction=1,
                cadence_per_year=12,
                available_from=date(2030, 1, 1),
                cost_musd=50,
                reliability_alpha=alpha,
                reliability_beta=beta,
            )
        ],
        partners=[CampaignPartner(id="P")],
        bucket_starts=bucket_starts(date(2030, 1, 1), date(2040, 1, 1)),
        daylight_fraction=daylight,
    )


def test_certain_success_reproduces_the_plan_exactly():
    inst = one_flight(1e9, 1e-9)
    plan = greedy_plan(inst)
    mc = monte_carlo(inst, plan, n_runs=500, n_workers=0, config=RiskConfig(**QUIET))
    assert np.all(mc.completion_bucket == 1.0)  # launch month 0, operating month 1
    assert mc.failures.sum() == 0
    assert mc.probability_by(date(2030, 2, 1)) == 1.0
    assert mc.probability_by(date(2030, 1, 31)) == 0.0


def test_failure_rate_matches_beta_prior_mean():
    """Beta(9, 3): P(first attempt fails) = 3/12 = 0.25; lost-element share and re-flight cost."""
    inst = one_flight(9.0, 3.0)
    n = 20_000
    mc = monte_carlo(
        inst,
        greedy_plan(inst),
        n_runs=n,
        n_workers=0,
        seed=3,
        config=RiskConfig(**QUIET, max_attempts=1),
    )
    se = math.sqrt(0.25 * 0.75 / n)
    assert abs(mc.failures.mean() - 0.25) < 5 * se
    assert abs((mc.lost[:, 0] > 0).mean() - 0.25) < 5 * se
    # each loss costs the element (100) plus its share of the launch (50)
    assert np.allclose(mc.extra_cost_musd[:, 0], 150.0 * mc.lost[:, 0])
    # with one attempt only, a failure means never complete
    assert abs(mc.summary()["never_complete_fraction"] - 0.25) < 5 * se


def test_reflight_after_failure_waits_for_rebuild_and_standdown():
    """p ~ Beta(1, 1) is drawn once per run, so "fail, then succeed" has probability
    E[(1 - p) p] = 1/2 - 1/3 = 1/6. Those runs re-launch exactly when the element is rebuilt
    (24 months; the 12-month stand-down is shorter), i.e. month 24, operating in month 25."""
    inst = one_flight(1.0, 1.0)
    n = 20_000
    cfg = RiskConfig(**QUIET, standdown_months=(12.0, 12.0), rebuild_months=24.0, max_attempts=2)
    mc = monte_carlo(inst, greedy_plan(inst), n_runs=n, n_workers=0, seed=5, config=cfg)
    once = mc.failures == 1
    months_per_bucket = inst.bucket_days / (365.25 / 12)
    expected = 0 + math.ceil(24.0 / months_per_bucket - 1e-9) + 1  # re-launch bucket + lag
    done_after_one = once & np.isfinite(mc.completion_bucket)
    assert abs(done_after_one.mean() - 1 / 6) < 5 * math.sqrt((1 / 6) * (5 / 6) / n)
    assert np.all(mc.completion_bucket[done_after_one] == expected)


def test_slips_follow_the_configured_distribution():
    """P(slip) and the median slip (exp(mu) months) of the slipped runs, no failures."""
    inst = one_flight(1e9, 1e-9)
    cfg = RiskConfig(
        slip_probability=0.5,
        slip_log_mean=math.log(24.0),
        slip_log_sigma=0.3,
        launch_delay_mean_months=0.0,
    )
    n = 20_000
    mc = monte_carlo(inst, greedy_plan(inst), n_runs=n, n_workers=0, seed=11, config=cfg)
    late = mc.completion_bucket > 1
    assert abs(late.mean() - 0.5) < 5 * math.sqrt(0.25 / n)
    months_per_bucket = inst.bucket_days / (365.25 / 12)
    slip_months = (mc.completion_bucket[late] - 1) * months_per_bucket
    # the slip is rounded up to whole buckets (months): median within a month of 24
    assert 23.0 < np.median(slip_months) < 25.5


def test_default_slip_prior_is_the_fit_to_the_reference_note():
    """Zero-inflated lognormal fitted by hand: slips 48, 42, 24, 84 months and two on time."""
    logs = [math.log(48), math.log(42), math.log(24), math.log(84)]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    cfg = RiskConfig()
    assert cfg.slip_probability == pytest.approx(4 / 6)
    assert cfg.slip_log_mean == pytest.approx(mean) and mean == pytest.approx(3.804, abs=1e-3)
    assert cfg.slip_log_sigma == pytest.approx(sd) and sd == pytest.approx(0.5143, abs=1e-3)


def test_daylight_snapping_in_monte_carlo():
    """Only months 0, 12, 24 ... have daylight: a slipped landing waits for the next of them."""
    daylight = [1.0 if m % 12 == 0 else 0.0 for m in range(120)]
    inst = one_flight(1e9, 1e-9, daylight=daylight)
    cfg = RiskConfig(
        slip_probability=1.0,
        slip_log_mean=math.log(3.0),
        slip_log_sigma=0.01,
        launch_delay_mean_months=0.0,
    )
    mc = monte_carlo(inst, greedy_plan(inst), n_runs=200, n_workers=0, config=cfg)
    assert np.all(mc.completion_bucket == 13.0)


@pytest.mark.slow
def test_identical_results_on_one_and_two_dask_workers():
    inst = synthetic_instance(12, 8, 3, 5, seed=2)
    plan = optimise_campaign(inst, time_limit_s=5).plan
    kwargs = dict(n_runs=3_000, seed=42, chunk_runs=500)
    serial = monte_carlo(inst, plan, n_workers=0, **kwargs)
    one = monte_carlo(inst, plan, n_workers=1, **kwargs)
    two = monte_carlo(inst, plan, n_workers=2, **kwargs)
    assert two.n_workers == 2 and one.n_workers == 1
    for result in (one, two):
        assert np.array_equal(result.completion_bucket, serial.completion_bucket)
        assert np.array_equal(result.lost, serial.lost)
        assert np.array_equal(result.extra_cost_musd, serial.extra_cost_musd)
    other_seed = monte_carlo(inst, plan, n_workers=0, n_runs=3_000, seed=43, chunk_runs=500)
    assert not np.array_equal(other_seed.completion_bucket, serial.completion_bucket)
