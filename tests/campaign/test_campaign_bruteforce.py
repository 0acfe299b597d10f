"""CP-SAT against brute force on a tiny instance with every constraint family active.

Expected optima are not typed in: they come from enumerating all 22,464 assignments of the
tiny instance (``_campaign_tiny.all_plans``) and keeping those the independent checker accepts; the
optimiser must reach the same lexicographic value and prove it (status ``optimal``, gap 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _campaign_tiny import SENSE, all_plans, tiny_instance

from moonbase.campaign import check_plan, optimise_campaign, plan_objectives


@pytest.fixture(scope="module")
def feasible():
    """(values, multi-element-flight flag, plan) of every feasible plan of the tiny instance."""
    instance = tiny_instance()
    out = []
    for plan in all_plans(instance):
        if not check_plan(instance, plan):
            shared = any(len(f.elements) > 1 for f in plan.flights)
            out.append((plan_objectives(instance, plan), shared, plan))
    return out


def _optimum(feasible, objectives, *, co_manifesting=True):
    keys = [
        tuple(SENSE[n] * v[n] for n in objectives)
        for v, shared, _ in feasible
        if co_manifesting or not shared
    ]
    return min(keys)


def test_enumeration_has_feasible_and_infeasible_plans(feasible):
    # 22,464 assignments in all; the constraints must cut most of them, and leave some.
    assert 10 < len(feasible) < 22_464


@pytest.mark.parametrize(
    "objectives",
    [
        ["earliest_basic_model"],
        ["max_capability_by_date"],
        ["least_cost"],
        ["earliest_basic_model", "least_cost"],
        ["least_cost", "earliest_basic_model", "earliest_launches"],
    ],
)
def test_optimiser_matches_brute_force(feasible, objectives):
    deadline = "2030-10-01" if objectives == ["max_capability_by_date"] else None
    instance = tiny_instance(objectives=objectives, capability_deadline=deadline)
    if deadline is not None:  # feasibility does not depend on the deadline; values do
        feasible = [(plan_objectives(instance, p), s, p) for _, s, p in feasible]
    result = optimise_campaign(instance, time_limit_s=20)
    expected = _optimum(feasible, objectives)
    got = tuple(SENSE[n] * result.values[n] for n in objectives)
    assert got == expected
    assert result.status == "optimal"
    assert result.stages[0].gap == 0.0
    assert check_plan(instance, result.plan) == []


def test_no_co_manifesting_matches_brute_force(feasible):
    objectives = ["earliest_basic_model", "least_cost"]
    instance = tiny_instance(objectives=objectives, co_manifesting=False)
    result = optimise_campaign(instance, time_limit_s=20)
    got = tuple(SENSE[n] * result.values[n] for n in objectives)
    assert got == _optimum(feasible, objectives, co_manifesting=False)
    assert all(len(f.elements) == 1 for f in result.plan.flights)
    # co-manifesting is worth something here: the optimum with it is strictly better
    assert _optimum(feasible, objectives) < got
