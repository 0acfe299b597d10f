"""The scenario's orbit node is a moonbase.orbit.OrbitNodeSpec the orbit stage can propagate."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.orbit import orbit_states
from moonbase.scenario import builtin_scenario, dumps_scenario, loads_scenario
from moonbase.scenario.problems import ScenarioError


def _with_orbit(table: str) -> str:
    text = dumps_scenario(builtin_scenario())
    return text.replace("[campaign]", f"[orbit]\n{table}\n\n[campaign]", 1)


def test_orbit_node_round_trips_and_propagates():
    scenario = loads_scenario(_with_orbit('name = "hub"\nfamily = "llo"\naltitude_km = 100.0'))
    assert scenario.orbit.name == "hub"
    assert loads_scenario(dumps_scenario(scenario)).orbit == scenario.orbit
    from moonbase.time import tdb_seconds, time_range

    states = orbit_states(
        scenario.orbit, tdb_seconds(time_range("2030-01-01", "2030-01-01T02:00", "10min"))
    )
    radius_km = np.linalg.norm(np.asarray(states)[:3], axis=0)
    assert radius_km == pytest.approx(1737.4 + 100.0, abs=1e-6)  # circular 100 km LLO


def test_unknown_orbit_family_names_line_and_choices():
    text = _with_orbit('name = "hub"\nfamily = "dro"')
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, file="hub.toml")
    message = str(info.value)
    line = text.splitlines().index('family = "dro"') + 1
    assert f"hub.toml:{line}: orbit.family" in message
    assert "'nrho'" in message
