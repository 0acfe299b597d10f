"""Thin adapters from the scenario and campaign stages to a :class:`Station`.

* :func:`campaign_operating_dates` reads the date each element starts operating from a
  campaign instance and plan (:mod:`moonbase.campaign`).
* :func:`station_from_scenario` turns the surface elements of a scenario
  (:mod:`moonbase.scenario`) into components: ``power_produced_w`` becomes a fission unit
  (elements whose id, name or note says nuclear/fission/reactor) or a vertical sun-tracking
  array; ``energy_storage_wh`` a battery; ``power_consumed_survival_w`` a priority-1 load and the
  rest of ``power_consumed_operating_w`` a priority-2 load; ``downlink_rate_mbps``,
  ``relay_rate_mbps`` and ``data_buffer_gbit`` a comms terminal (a figure not given is 0; it
  draws no power of its own, since the element's operating power covers it). An element's
  ``mtbf_h`` and ``spare_mass_kg`` are its operations load's (its working equipment fails and
  is repaired from the station's spares stock). Consumables an element lands with
  (``landed_o2_kg``, ``landed_water_kg``, ``landed_food_kg``, ``landed_n2_kg``) become a
  cargo delivered to the station's stores on its arrival (:func:`landed_cargo`). Crewed
  elements (``crew > 0``) add one life-support component between them (:func:`crew_eclss`),
  open loop, drawing no power of its own (a lander's cabin is in its operating power), leaking
  the cabins' ``cabin_leak_kg_per_day``. Elements that add nothing are listed in the returned
  notes; elements not flown by the plan are left out.
"""

from __future__ import annotations

from datetime import date, datetime

from moonbase.systems.components import Station, parse_station

__all__ = ["campaign_operating_dates", "crew_eclss", "landed_cargo", "station_from_scenario"]

#: Element fields of consumables landed with it, by cargo commodity.
LANDED_FIELDS = {
    "o2": "landed_o2_kg",
    "water": "landed_water_kg",
    "food": "landed_food_kg",
    "n2": "landed_n2_kg",
}

_NUCLEAR_WORDS = ("nuclear", "fission", "reactor")


def campaign_operating_dates(instance, plan) -> dict[str, date | None]:
    """Element id -> first operating date under ``plan`` (None: operating before the window)."""
    from moonbase.campaign.plan import ready_buckets

    starts = instance.bucket_starts
    out: dict[str, date | None] = {}
    for element_id, bucket in ready_buckets(instance, plan).items():
        if bucket < 0:
            out[element_id] = None
        elif bucket < len(starts):
            out[element_id] = starts[bucket]
    return out


def station_from_scenario(
    scenario,
    operating_dates: dict[str, date | None] | None = None,
    *,
    name: str | None = None,
    location: str = "site",
) -> tuple[Station | None, list[str]]:
    """Components for the scenario's elements at ``location``; returns ``(station or None, notes)``.

    ``location`` is ``"site"`` (the surface base: arrays on vertical sun-tracking masts) or
    ``"node"`` (the orbit node: sun-pointing arrays, ``mount = "tracking"``).
    ``operating_dates`` (from :func:`campaign_operating_dates`) gives each element's arrival;
    without it every element there that is not ``failed`` is present from the start.
    """
    components: list[dict] = []
    notes: list[str] = []
    crewed: list[tuple] = []
    mount = "tracking" if location == "node" else "vertical_tracking"
    for e in scenario.elements:
        if e.location != location or e.state == "failed":
            continue
        if operating_dates is not None and e.id not in operating_dates:
            notes.append(f"{e.id}: not flown in the campaign plan, left out")
            continue
        when = None if operating_dates is None else operating_dates[e.id]
        arrival = None if when is None else datetime(when.year, when.month, when.day).isoformat()
        common = {"arrival_utc": arrival}
        text = f"{e.id} {e.name} {e.note}".lower()
        before = len(components)
        if e.power_produced_w:
            if any(word in text for word in _NUCLEAR_WORDS):
                components.append(
                    {
                        "type": "fission_reactor",
                        "name": f"{e.id}:reactor",
                        "power_w": e.power_produced_w,
                        **common,
                    }
                )
            else:
                components.append(
                    {
                        "type": "solar_array",
                        "name": f"{e.id}:pv",
                        "rated_power_w": e.power_produced_w,
                        "mount": mount,
                        **common,
                    }
                )
        if e.energy_storage_wh:
            components.append(
                {
                    "type": "battery",
                    "name": f"{e.id}:battery",
                    "capacity_wh": e.energy_storage_wh,
                    **common,
                }
            )
        survival = e.power_consumed_survival_w or 0.0
        operating = e.power_consumed_operating_w or 0.0
        if survival > 0:
            components.append(
                {
                    "type": "load",
                    "name": f"{e.id}:survival",
                    "power_w": survival,
                    "priority": 1,
                    **common,
                }
            )
        if operating > survival:
            upkeep = {}
            if e.mtbf_h is not None:
                upkeep = {"mtbf_h": e.mtbf_h, "spare_mass_kg": e.spare_mass_kg or 0.0}
            components.append(
                {
                    "type": "load",
                    "name": f"{e.id}:operations",
                    "power_w": operating - survival,
                    "priority": 2,
                    **upkeep,
                    **common,
                }
            )
        elif e.mtbf_h is not None:
            notes.append(f"{e.id}: mtbf_h given but no operations load to fail, not used")
        link_figures = (e.downlink_rate_mbps, e.data_buffer_gbit, e.relay_rate_mbps)
        if any(figure is not None for figure in link_figures):
            components.append(
                {
                    "type": "comms_terminal",
                    "name": f"{e.id}:comms",
                    "power_w": 0.0,  # in the element's operating power
                    "dte_rate_mbps": e.downlink_rate_mbps or 0.0,
                    "relay_rate_mbps": e.relay_rate_mbps or 0.0,
                    "buffer_gbit": e.data_buffer_gbit or 0.0,
                    **common,
                }
            )
        cargo = landed_cargo(e, arrival)
        if cargo is not None:
            components.append(cargo)
        if e.crew > 0:
            crewed.append((e, arrival))
        elif len(components) == before:
            notes.append(f"{e.id}: no power or comms figures in the scenario, adds no component")
    if crewed:
        components.append(crew_eclss(crewed))
    if not components:
        return None, notes
    station = parse_station({"name": name or f"{scenario.name} station", "components": components})
    return station, notes


def landed_cargo(element, arrival: str | None) -> dict | None:
    """The consumables ``element`` lands with, as a cargo arriving with it (None: none)."""
    contents = {
        key: getattr(element, field)
        for key, field in LANDED_FIELDS.items()
        if getattr(element, field)
    }
    if not contents:
        return None
    return {
        "type": "cargo",
        "name": f"{element.id}:landed",
        "contents_kg": contents,
        "source": f"landed with {element.id}",
        "arrival_utc": arrival,
    }


def crew_eclss(crewed) -> dict:
    """One open-loop ``eclss`` component for crewed elements, given as ``(element, arrival)``.

    Its stocks start empty (what the elements land with arrives as cargo, :func:`landed_cargo`);
    it leaks the sum of their ``cabin_leak_kg_per_day`` while crew are on board and is present
    from the earliest arrival (None: from the start).
    """
    arrivals = [arrival for _, arrival in crewed]
    return {
        "type": "eclss",
        "name": "+".join(e.id for e, _ in crewed) + ":eclss",
        "power_w_per_crew": 0.0,  # in the crewed element's own operating power
        "o2_closure": 0.0,
        "water_recovery": 0.0,
        "cabin_leak_kg_per_day": sum(e.cabin_leak_kg_per_day or 0.0 for e, _ in crewed),
        "arrival_utc": None if None in arrivals else min(arrivals),
    }
