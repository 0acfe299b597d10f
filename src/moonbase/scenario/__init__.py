"""Scenarios: who takes part, what is built, what flies it, where and when.

A scenario is a TOML file validated by strict pydantic models (:mod:`moonbase.scenario.models`)
and by cross-part checks (:mod:`moonbase.scenario.checks`); errors cite file, line, field and
the fix. ``builtin_scenario("ilrs-reference")`` is the ILRS reference scenario shipped with
moonbase, built from the public roadmap, every element tagged announced / reported / notional.
"""

from moonbase.scenario.checks import check_scenario
from moonbase.scenario.models import (
    CAPABILITY_TAGS,
    BetaPrior,
    CampaignWindow,
    Contribution,
    Element,
    Experiment,
    FlightRecord,
    Launcher,
    Location,
    OrbitNode,
    Partner,
    PartnerGoal,
    Policies,
    Scenario,
    SignedPartners,
    Site,
)
from moonbase.scenario.problems import Problem, ScenarioError
from moonbase.scenario.toml_io import (
    BUILTIN_SCENARIOS,
    builtin_path,
    builtin_scenario,
    dumps_scenario,
    load_scenario,
    loads_scenario,
    scenario_to_toml,
    validate_scenario,
)

__all__ = [
    "BUILTIN_SCENARIOS",
    "CAPABILITY_TAGS",
    "BetaPrior",
    "CampaignWindow",
    "Contribution",
    "Element",
    "Experiment",
    "FlightRecord",
    "Launcher",
    "Location",
    "OrbitNode",
    "Partner",
    "PartnerGoal",
    "Policies",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SignedPartners",
    "Site",
    "builtin_path",
    "builtin_scenario",
    "check_scenario",
    "dumps_scenario",
    "load_scenario",
    "loads_scenario",
    "scenario_to_toml",
    "validate_scenario",
]
