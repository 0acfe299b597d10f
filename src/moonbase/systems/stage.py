"""The systems stage of the plan: the station the campaign builds, hour by hour, on the cell's light.

:func:`run_station` turns the scenario's surface elements into the twin's components, each present
from the date the campaign stage says it operates (:meth:`CampaignOutcome.arrivals`), and drives
the twin with the site stage's hourly series of the chosen cell (its terrain horizon): nothing here
computes light of its own. The orbit stage's relays feed the comms: :func:`relay_available_at_site`
propagates each operating relay element's ``relay_orbit`` and sees it from the same cell.
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

__all__ = [
    "StationRun",
    "crew_on_board",
    "relay_available_at_site",
    "run_station",
    "run_station_with",
]


@dataclass(frozen=True)
class StationRun:
    """The simulated station: its components, the twin's result and notes on the mapping."""

    station: Station
    simulation: SimulationResult
    notes: tuple[str, ...]
    failures: bool = True
    seed: int | None = 0

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


def crew_on_board(scenario: Scenario, arrivals: dict, times, location: str = "site") -> np.ndarray:
    """Crew on board at each of ``times`` (UTC): the crewed elements at ``location`` flown.

    An element's ``crew`` is on board from its arrival (``arrivals[id]``, a date; None: from
    the first time) for ``surface_stay_days``; elements absent from ``arrivals`` (not flown),
    not at ``location`` (``"site"``, or ``"node"`` for the orbit node), failed or without a
    stay add none.
    """
    times = pd.DatetimeIndex(times)
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    crew = np.zeros(len(times))
    for e in scenario.elements:
        if e.crew <= 0 or e.location != location or e.state == "failed" or e.id not in arrivals:
            continue
        if not e.surface_stay_days or len(times) == 0:
            continue
        when = arrivals[e.id]
        start = times[0] if when is None else pd.Timestamp(when)
        stop = start + pd.Timedelta(days=e.surface_stay_days)
        crew += e.crew * ((times >= start) & (times < stop))
    return crew


def relay_available_at_site(
    scenario: Scenario, site: SiteChoice, arrivals: dict
) -> tuple[np.ndarray, list[str]]:
    """The twin's ``relay_available`` at ``site``'s chosen cell, and notes on the relays used.

    Every relay element in orbit with a ``relay_orbit`` that operates (flown before the span,
    or arriving per ``arrivals``, :meth:`CampaignOutcome.arrivals`; absent before its arrival)
    is propagated (:func:`moonbase.orbit.relays.relay_availability`) and seen from the cell
    (its latitude, longitude, ground plus mast height and terrain horizon) at the site series'
    times: the fraction of each step in which at least one relay serves the cell.
    """
    from moonbase.orbit.relays import relay_availability

    orbits, starts, notes = [], [], []
    for e in scenario.elements:
        if e.location != "orbit" or e.state == "failed":
            continue
        if e.relay_orbit is None:
            if e.role == "relay" or "relay" in e.provides:
                notes.append(f"{e.id}: a relay without relay_orbit, not used for the station")
            continue
        if e.id in arrivals:
            when = arrivals[e.id]
        elif e.state == "flown":
            when = None
        else:
            notes.append(f"{e.id}: relay not flown in the campaign plan, left out")
            continue
        orbits.append(e.relay_orbit)
        starts.append(when)
    times = site.series.index
    if not orbits:
        return np.zeros(len(times)), notes
    horizon = np.ascontiguousarray(site.horizon_deg, dtype=float)
    key = (
        tuple(orbit.model_dump_json() for orbit in orbits),
        tuple(None if day is None else str(day) for day in starts),
        (site.latitude_deg, site.longitude_deg, site.ground_m + site.mast_height_m),
        (horizon.tobytes(), horizon.shape),
        (str(times[0]), str(times[-1]), len(times)),
    )
    relay = _relay_cache.get(key)
    if relay is None:
        relay = relay_availability(
            orbits,
            times,
            site.latitude_deg,
            site.longitude_deg,
            site.ground_m + site.mast_height_m,
            site.horizon_deg,
            available_from=starts,
        )
        relay.flags.writeable = False
        _relay_cache.clear()  # one site and campaign at a time: keep the last only
        _relay_cache[key] = relay
    return relay, notes


#: The last relay availability computed: the closure step re-runs the twin of the same cell with
#: the same relays many times, and propagating them is most of a twin run's time.
_relay_cache: dict = {}


def run_station(
    scenario: Scenario,
    site: SiteChoice,
    campaign: CampaignOutcome,
    *,
    failures: bool = True,
    seed: int = 0,
) -> StationRun:
    """Simulate the station that ``campaign`` builds at ``site``'s chosen cell.

    ``site`` is a :class:`~moonbase.site.stage.SiteChoice` (the surface base), or the orbit
    stage's :class:`~moonbase.orbit.stage.NodeChoice` (the orbital station: its elements, its
    eclipses, no relays), ``campaign`` a :class:`~moonbase.campaign.stage.CampaignOutcome`.
    """
    arrivals = campaign.arrivals()
    location = getattr(site, "location", "site")
    station, notes = station_from_scenario(scenario, arrivals, location=location)
    if station is None:
        raise InputError(
            f"no element of the scenario at the {location} has power or comms figures",
            field="elements",
            hint=f"give power_produced_w / power_consumed_operating_w to elements at the {location}",
        )
    crew = crew_on_board(scenario, arrivals, site.series.index, location)
    if location == "site":
        relay, relay_notes = relay_available_at_site(scenario, site, arrivals)
    else:
        relay, relay_notes = np.zeros(len(site.series)), []
    drivers = drivers_from_site_series(site.series, crew=crew, relay_available=relay)
    simulation = simulate_station(station, drivers, failures=failures, seed=seed)
    return StationRun(station, simulation, tuple(notes + relay_notes), failures, seed)


def run_station_with(run: StationRun, components, *, note: str | None = None) -> StationRun:
    """``run``'s station with ``components`` added, simulated again on the same drivers.

    Same drivers, failure switch and seed: the added components come last in the station, so
    the others draw the same random failures and the two passes differ only by them (e.g. a
    :class:`~moonbase.systems.components.ScheduledLoad` of the science schedule's runs).
    """
    from moonbase.systems.components import parse_station

    data = run.station.model_dump()
    data["components"] += [
        c.model_dump() if hasattr(c, "model_dump") else dict(c) for c in components
    ]
    station = parse_station(data)
    simulation = simulate_station(
        station, run.simulation.drivers, failures=run.failures, seed=run.seed
    )
    notes = run.notes + ((note,) if note else ())
    return StationRun(station, simulation, notes, run.failures, run.seed)
