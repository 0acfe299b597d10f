"""The flights that can carry cargo to the station: the campaign's spare capacity.

A flight of the campaign plan that brings at least one element to the station (its site, or its
orbit node) is a *carrier*: what its launcher can still lift to trans-lunar injection after its
elements (capacity less their TLI masses, as the planner counts them), times the launcher's
landed fraction (or the node's delivered fraction), is the mass it can bring as cargo. The lander that carries it is one of
the flight's elements, so the cargo arrives when the first of them operates (the campaign
stage's arrivals). Flights to orbit or elsewhere on the Moon carry nothing to the station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Carrier", "carriers_from_campaign"]


@dataclass(frozen=True)
class Carrier:
    """A flight that lands at the station, and the cargo mass it can still carry there."""

    flight: str  # "<launcher>#<n>", as the campaign table names it
    launcher: str
    elements: tuple[str, ...]  # what it carries to the site
    launch: date
    arrival: date  # the first operating date of its site elements: when the cargo is there
    capacity_kg: float  # landed cargo capacity left after its elements


def carriers_from_campaign(
    scenario, campaign, *, location: str = "site", delivered_fraction: float | None = None
) -> list[Carrier]:
    """The campaign's flights to the station with their spare capacity there, by arrival.

    ``campaign`` is a :class:`~moonbase.campaign.stage.CampaignOutcome`; ``location`` is where
    the station is (``"site"``, or ``"node"`` for an orbit node). Spare capacity is
    ``(capacity_tli_kg - sum of the flight's elements' TLI masses) * fraction``, never below 0,
    where the fraction is the flight's launcher's ``landed_fraction`` at the site, or
    ``delivered_fraction`` (the node's: TLI mass less the insertion propellant) at the node.
    A flight that brings elements both to the surface and to the node carries cargo for the
    surface only, so no spare capacity is counted twice.
    """
    result = campaign.result
    instance = result.instance
    at_site = {e.id for e in scenario.elements if e.location == location}
    # a flight that brings elements to the surface and to the node carries cargo for the surface
    surface = {e.id for e in scenario.elements if e.location == "site"}
    arrivals = campaign.arrivals()
    starts = instance.bucket_starts
    out = []
    for flight in result.plan.flights:
        landing = [e for e in flight.elements if e in at_site]
        if not landing or (location != "site" and any(e in surface for e in flight.elements)):
            continue
        launcher = instance.launcher(flight.launcher)
        used = sum(instance.mass_tli_kg(instance.element(e), launcher) for e in flight.elements)
        fraction = launcher.landed_fraction if delivered_fraction is None else delivered_fraction
        spare = max(launcher.capacity_tli_kg - used, 0.0) * fraction
        when = [arrivals[e] for e in landing if arrivals.get(e) is not None]
        if not when:
            continue
        out.append(
            Carrier(
                flight=f"{flight.launcher}#{flight.index + 1}",
                launcher=flight.launcher,
                elements=tuple(landing),
                launch=starts[flight.bucket],
                arrival=min(when),
                capacity_kg=float(spare),
            )
        )
    return sorted(out, key=lambda c: (c.arrival, c.flight))
