"""Each constraint family in isolation: one binding rule per instance, answers worked by hand.

Every instance is monthly from 2030-01 with generous launchers unless the rule under test says
otherwise; "bucket k" is the k-th month. The expected buckets are derived in each docstring.
The checker is also shown to catch each violation (so it can fail).
"""

from __future__ import annotations

from datetime import date

import pytest

from moonbase.campaign import (
    CampaignConfig,
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
    CampaignPlan,
    Flight,
    bucket_starts,
    check_plan,
    greedy_plan,
    optimise_campaign,
)
from moonbase.errors import InputError


def make(elements, launchers=None, *, months=24, daylight=None, budgets=None, **config):
    launchers = launchers or [
        CampaignLauncher(
            id="L",
            partner="P",
            capacity_tli_kg=10_000,
            landed_fraction=1.0,
            cadence_per_year=12,
            available_from=date(2030, 1, 1),
            cost_musd=10,
        )
    ]
    partners = {e.partner for e in elements} | {lch.partner for lch in launchers}
    budgets = budgets or {}
    return CampaignInstance(
        elements=elements,
        launchers=launchers,
        partners=[
            CampaignPartner(id=p, budget_musd_per_year=budgets.get(p)) for p in sorted(partners)
        ],
        bucket_starts=bucket_starts(
            date(2030, 1, 1), date(2030 + months // 12, 1 + months % 12, 1)
        ),
        daylight_fraction=daylight,
        config=CampaignConfig(
            objectives=config.pop("objectives", ["earliest_basic_model", "earliest_launches"]),
            **config,
        ),
    )


def el(name, mass=1000.0, **kw):
    return CampaignElement(
        id=name,
        partner=kw.pop("partner", "P"),
        landed_mass_kg=mass,
        basic_model=kw.pop("basic_model", True),
        **kw,
    )


def launches(result):
    return result.plan.launch_bucket()


def test_daylight_moves_landing_to_first_lit_bucket():
    """Dark months 0-4 (fraction 0.2 < 0.5): a lander goes in month 5; an orbiter in month 0."""
    daylight = [0.2] * 5 + [1.0] * 19
    result = optimise_campaign(
        make([el("lander"), el("orbiter", lands=False)], daylight=daylight), time_limit_s=10
    )
    assert launches(result) == {"lander": 5, "orbiter": 0}
    assert result.values["earliest_basic_model"] == 6  # operating one month after landing
    bad = CampaignPlan(flights=[Flight(launcher="L", index=0, bucket=2, elements=["lander"])])
    assert any("daylight" in p for p in check_plan(result.instance, bad))


def test_cadence_per_calendar_year():
    """Cadence 1/yr, no co-manifesting, 3 elements: launches in 2030, 2031, 2032 (months 0, 12, 24)."""
    launcher = CampaignLauncher(
        id="L",
        partner="P",
        capacity_tli_kg=10_000,
        landed_fraction=1.0,
        cadence_per_year=1,
        available_from=date(2030, 1, 1),
    )
    inst = make([el("a"), el("b"), el("c")], [launcher], months=36, co_manifesting=False)
    result = optimise_campaign(inst, time_limit_s=10)
    assert sorted(launches(result).values()) == [0, 12, 24]
    bad = CampaignPlan(
        flights=[
            Flight(launcher="L", index=0, bucket=0, elements=["a"]),
            Flight(launcher="L", index=1, bucket=5, elements=["b"]),
            Flight(launcher="L", index=2, bucket=24, elements=["c"]),
        ]
    )
    assert any("cadence" in p for p in check_plan(inst, bad))


def test_capacity_splits_flights():
    """6 t + 5 t on a 10 t launcher (one launch per month): two flights, months 0 and 1."""
    inst = make([el("a", 6000), el("b", 5000)])
    result = optimise_campaign(inst, time_limit_s=10)
    assert sorted(launches(result).values()) == [0, 1]
    bad = CampaignPlan(flights=[Flight(launcher="L", index=0, bucket=0, elements=["a", "b"])])
    assert any("capacity" in p for p in check_plan(inst, bad))


def test_landed_fraction_sets_tli_mass():
    """Landed 3 t at landed fraction 0.35 needs 8.57 t TLI: fits 10 t, not 8.2 t (LM-5-like)."""
    small = CampaignLauncher(
        id="S",
        partner="P",
        capacity_tli_kg=8200,
        landed_fraction=0.35,
        cadence_per_year=12,
        available_from=date(2030, 1, 1),
    )
    big = CampaignLauncher(
        id="B",
        partner="P",
        capacity_tli_kg=10000,
        landed_fraction=0.35,
        cadence_per_year=12,
        available_from=date(2030, 6, 1),
    )
    result = optimise_campaign(make([el("a", 3000)], [small, big]), time_limit_s=10)
    assert result.plan.flights[0].launcher == "B" and launches(result) == {"a": 5}


def test_co_manifesting_shares_a_flight():
    """Two 4 t elements on a 10 t launcher with cadence 1/yr: together in month 0 if allowed."""
    launcher = CampaignLauncher(
        id="L",
        partner="P",
        capacity_tli_kg=10_000,
        landed_fraction=1.0,
        cadence_per_year=1,
        available_from=date(2030, 1, 1),
    )
    together = optimise_campaign(make([el("a", 4000), el("b", 4000)], [launcher]), time_limit_s=10)
    assert launches(together) == {"a": 0, "b": 0} and len(together.plan.flights) == 1
    apart = optimise_campaign(
        make([el("a", 4000), el("b", 4000)], [launcher], co_manifesting=False), time_limit_s=10
    )
    assert sorted(launches(apart).values()) == [0, 12]


def test_precedence_waits_for_operation():
    """b requires a; a commissions in 45 d -> 2 monthly buckets: a month 0, b month 2."""
    inst = make([el("a", commissioning_days=45), el("b", requires=["a"])])
    result = optimise_campaign(inst, time_limit_s=10)
    assert launches(result) == {"a": 0, "b": 2}
    bad = CampaignPlan(
        flights=[
            Flight(launcher="L", index=0, bucket=0, elements=["a"]),
            Flight(launcher="L", index=1, bucket=1, elements=["b"]),
        ]
    )
    assert any("before 'a' operates" in p for p in check_plan(inst, bad))


def test_capability_needs_any_provider():
    """c needs power; two providers, one available only from month 6 (earliest_launch): the
    other (month 0, 1-month lag) lets c fly in month 1."""
    inst = make(
        [
            el(
                "p_late",
                provides=["power"],
                earliest_launch=date(2030, 7, 1),
                required=False,
                basic_model=False,
            ),
            el("p_early", provides=["power"]),
            el("c", needs=["power"]),
        ]
    )
    result = optimise_campaign(inst, time_limit_s=10)
    assert launches(result)["c"] == 1 and launches(result)["p_early"] == 0
    bad = CampaignPlan(flights=[Flight(launcher="L", index=0, bucket=0, elements=["p_early", "c"])])
    assert any("before any 'power'" in p for p in check_plan(inst, bad))


def test_launcher_availability_and_element_dates():
    """Launcher from 2030-04 (month 3); element not before 2030-06 (month 5), not after 2030-08."""
    launcher = CampaignLauncher(
        id="L",
        partner="P",
        capacity_tli_kg=10_000,
        landed_fraction=1.0,
        cadence_per_year=12,
        available_from=date(2030, 4, 1),
    )
    inst = make(
        [el("a", earliest_launch=date(2030, 6, 1), latest_launch=date(2030, 8, 31)), el("b")],
        [launcher],
    )
    result = optimise_campaign(inst, time_limit_s=10)
    assert launches(result) == {"a": 5, "b": 3} or launches(result) == {"a": 5, "b": 5}
    bad = CampaignPlan(
        flights=[
            Flight(launcher="L", index=0, bucket=2, elements=["b"]),
            Flight(launcher="L", index=1, bucket=9, elements=["a"]),
        ]
    )
    problems = check_plan(inst, bad)
    assert any("outside launcher window" in p for p in problems)
    assert any("after its latest date" in p for p in problems)


def test_partner_budget_per_year():
    """Partner Q pays 60 MUSD per element and has 100 MUSD/yr: one element per calendar year."""
    elements = [el(n, partner="Q", cost_musd=60) for n in "abc"]
    inst = make(elements, months=36, budgets={"Q": 100})
    result = optimise_campaign(inst, time_limit_s=10)
    years = sorted(b // 12 for b in launches(result).values())
    assert years == [0, 1, 2]
    assert result.values["earliest_basic_model"] == 25  # third flies in month 24, operates in 25
    bad = CampaignPlan(
        flights=[
            Flight(launcher="L", index=0, bucket=0, elements=["a", "b"]),
            Flight(launcher="L", index=1, bucket=24, elements=["c"]),
        ]
    )
    assert any("budget" in p for p in check_plan(inst, bad))


def test_infeasible_reports_input_error():
    """A 20 t element on a 10 t launcher can never fly: a one-line InputError, not a crash."""
    with pytest.raises(InputError, match="no feasible campaign"):
        optimise_campaign(make([el("huge", 20_000)]), time_limit_s=5)


def test_instance_validation_names_the_field():
    with pytest.raises(InputError, match="requires unknown element 'ILRS-9'"):
        make([el("ILRS-3", requires=["ILRS-9"])])
    with pytest.raises(InputError, match="circular dependency: a -> b -> a"):
        make([el("a", requires=["b"]), el("b", requires=["a"])])


def test_greedy_is_feasible_and_not_better():
    """Greedy honours every rule (checker) and is never lexicographically better."""
    inst = make(
        [el("a", 6000), el("b", 5000, requires=["a"]), el("c", 3000), el("d", 2000)],
        daylight=[0.0, 1.0] * 12,
    )
    greedy = greedy_plan(inst)
    assert check_plan(inst, greedy) == []
    result = optimise_campaign(inst, time_limit_s=10)
    g, o = result.greedy_values, result.values
    assert (o["earliest_basic_model"], o["earliest_launches"]) <= (
        g["earliest_basic_model"],
        g["earliest_launches"],
    )
