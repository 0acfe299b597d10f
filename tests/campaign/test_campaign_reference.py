"""The built-in ILRS reference scenario through the adapter and the optimiser.

Outside reference: the public roadmap (reference note section 1): basic model "around 2035"
[P/S] built by five super-heavy launches of ILRS-1..5 in 2030-2035 [S]. The plan must be
feasible (independent checker) and land there given the announced launchers.
"""

from __future__ import annotations

from datetime import date

import pytest

from moonbase.campaign import check_plan, optimise_campaign
from moonbase.campaign.adapter import instance_from_scenario


@pytest.fixture(scope="module")
def reference():
    scenario = pytest.importorskip("moonbase.scenario").builtin_scenario()
    instance = instance_from_scenario(scenario)
    return scenario, instance, optimise_campaign(instance, time_limit_s=30)


def test_adapter_keeps_every_planned_element(reference):
    scenario, instance, _ = reference
    planned = {e.id for e in scenario.elements if e.state == "planned"}
    assert {e.id for e in instance.scheduled()} == planned
    flown = {e.id for e in scenario.elements if e.state == "flown"}
    assert {e.id for e in instance.elements if e.operating_from is not None} == flown
    assert instance.daylight_fraction is not None  # the site asks for landing daylight


def test_reference_plan_is_feasible_and_matches_the_roadmap(reference):
    _, instance, result = reference
    assert check_plan(instance, result.plan) == []
    assert result.violations == []
    done = result.completion_date()
    assert date(2033, 1, 1) <= done <= date(2036, 12, 31)  # "around 2035"
    table = result.table().set_index("element")
    ilrs = table.loc[[f"ILRS-{i}" for i in range(1, 6)]]
    assert ilrs["launch_date"].dt.year.between(2030, 2035).all()
    assert ilrs["flight"].nunique() == 5  # five super-heavy launches
    assert result.status in ("optimal", "feasible")
    assert result.values["earliest_basic_model"] <= result.greedy_values["earliest_basic_model"]
