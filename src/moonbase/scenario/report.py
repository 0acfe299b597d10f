"""The scenario's report section: partners, elements and where each element goes."""

from __future__ import annotations

import pandas as pd

from moonbase.report import Section

__all__ = ["scenario_section"]


def scenario_section(scenario) -> Section:
    """What the plan is made of: every element with its partner, role, location and state."""
    rows = [
        {
            "element": e.id,
            "partner": e.partner,
            "role": e.role,
            "location": e.location,
            "landed_kg": e.landed_mass_kg,
            "state": e.state,
            "provenance": e.provenance,
        }
        for e in scenario.elements
    ]
    return Section(
        f"Scenario: {scenario.name}",
        paragraphs=[
            scenario.description.strip() or "(no description)",
            f"{len(scenario.partners)} partners, {len(scenario.launchers)} launchers, "
            f"{len(scenario.elements)} elements, campaign {scenario.campaign.start} to "
            f"{scenario.campaign.end}. Provenance: announced and reported facts carry their "
            "source; notional figures are derived (see the scenario file).",
        ],
        tables=[pd.DataFrame(rows)],
    )
