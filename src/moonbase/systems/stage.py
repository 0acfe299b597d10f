"""The systems stage of the plan: the station the campaign builds, hour by hour, on the cell's light.

:func:`run_station` turns the scenario's surface elements into the twin's components, each present
from the date the campaign stage says it operates (:meth:`CampaignOutcome.arrivals`), and drives
the twin with the site stage's hourly series of the chosen cell (its terrain horizon): nothing here
computes light of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from moonbase.errors import InputError
from moonbase.systems.adapters import station_from_scenario
from moonbase.systems.components import Station
from moonbase.systems.drivers import drivers_from_site_series
from moonbase.systems.simulate import SimulationResult, simulate_station

if TYPE_CHECKING:
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.scenario.models import Scenario
    from moonbase.site.stage import SiteChoice

__all__ = ["StationRun", "run_station"]


@dataclass(frozen=True)
class StationRun:
    """The simulated station: its components, the twin's result and notes on the mapping."""

    station: Station
    simulation: SimulationResult
    notes: tuple[str, ...]

    @property
    def kpis(self) -> dict:
        return self.simulation.kpis

    @property
    def crew_days(self) -> float:
        """Crew-days on board over the run (crew count times days)."""
        d = self.simulation.drivers
        return float(np.sum(np.asarray(d.crew, dtype=float)) * d.step_h / 24.0)

    def component_arrivals(self) -> pd.DataFrame:
        """Each component and the UTC it appears in the twin (empty: from the start)."""
        return pd.DataFrame(
            [{"component": c.name, "arrival_utc": c.arrival_utc} for c in self.station.components]
        )

    def section(self):
        """The report's systems section."""
        from moonbase.systems.report import systems_section

        return systems_section(self)


def run_station(
    scenario: Scenario,
    site: SiteChoice,
    campaign: CampaignOutcome,
    *,
    failures: bool = True,
    seed: int = 0,
) -> StationRun:
    """Simulate the station that ``campaign`` builds at ``site``'s chosen cell.

    ``site`` is a :class:`~moonbase.site.stage.SiteChoice`, ``campaign`` a
    :class:`~moonbase.campaign.stage.CampaignOutcome`.
    """
    station, notes = station_from_scenario(scenario, campaign.arrivals())
    if station is None:
        raise InputError(
            "no surface element of the scenario has power or comms figures",
            field="elements",
            hint="give power_produced_w / power_consumed_operating_w to surface elements",
        )
    drivers = drivers_from_site_series(site.series)
    simulation = simulate_station(station, drivers, failures=failures, seed=seed)
    return StationRun(station, simulation, tuple(notes))
