"""Does the simulated station survive, and which battery would carry its first shortfall?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from moonbase.closure.records import MARGIN_TOLERANCE_H, SurvivalCheck, UnmetNeed
from moonbase.errors import InputError
from moonbase.systems.components import parse_station
from moonbase.systems.stage import StationRun

__all__ = ["check_survival", "storage_to_size"]


def _element_of(component_name: str) -> str:
    return component_name.split(":")[0]


def _naive(value) -> pd.Timestamp:
    """``value`` as a naive UTC timestamp (the twin's own convention)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def _present(component, when) -> bool:
    """Is ``component`` on the surface at ``when`` (a load not landed yet is not short)?"""
    moment = _naive(when)
    if component.arrival_utc is not None and moment < _naive(component.arrival_utc):
        return False
    retire = getattr(component, "retire_utc", None)
    return retire is None or moment < _naive(retire)


def check_survival(run: StationRun, *, tolerance_kwh: float = 1e-6) -> SurvivalCheck:
    """Critical energy not served, the survival margins, and the first hour the station is short.

    The first short hour is the first with critical power unserved; when every survival load is
    served but the margin falls to 0, the first hour it does (survival loads present then).
    """
    sim = run.simulation
    kpis = sim.kpis
    series = sim.series
    critical_names = [
        c.name
        for c in run.station.components
        if (c.type == "load" and c.priority == 1) or (c.type == "habitat" and c.priority == 1)
    ]
    unserved = series["critical_unserved_w"].to_numpy()
    first, short = None, ()
    if kpis["critical_energy_not_served_kwh"] > tolerance_kwh:
        hits = np.flatnonzero(unserved > 1e-9)
        if hits.size:
            i = int(hits[0])
            first = series.index[i]
            short = tuple(
                name
                for name in critical_names
                if f"served_w:{name}" in series
                and _present(run.station.get(name), first)
                and series[f"served_w:{name}"].iat[i] < run.station.get(name).power_w - 1e-9
            )
    elif kpis["min_survival_margin_h"] <= MARGIN_TOLERANCE_H:
        margin = series["survival_margin_h"].to_numpy()
        hits = np.flatnonzero(margin <= MARGIN_TOLERANCE_H)
        if hits.size:
            i = int(hits[0])
            first = series.index[i]
            short = tuple(
                name
                for name in critical_names
                if f"served_w:{name}" in series and series[f"served_w:{name}"].iat[i] > 0
            )
    return SurvivalCheck(
        float(kpis["critical_energy_not_served_kwh"]),
        float(kpis["min_survival_margin_h"]),
        float(kpis["survival_margin_after_longest_darkness_h"]),
        tolerance_kwh,
        first,
        short,
    )


def storage_to_size(run: StationRun, check: SurvivalCheck) -> tuple[str, str]:
    """``(element id, battery component name)`` to size for ``check``'s first shortfall.

    The short element's own battery if it has one present; else the first battery present at
    that hour (the station's shared storage); else a new battery on the short element (the
    name the adapter gives it, ``<element>:battery``, which may not exist yet).
    """
    when = check.first_short_utc
    short = [_element_of(name) for name in check.short_loads]
    batteries = run.station.of_type("battery", "regenerative_fuel_cell")

    def present(c) -> bool:
        arrival = c.arrival_utc
        return arrival is None or when is None or pd.Timestamp(arrival) <= when

    for element in short:
        for c in batteries:
            if _element_of(c.name) == element and present(c):
                return element, c.name
    for c in batteries:
        if present(c):
            return _element_of(c.name), c.name
    if short:
        return short[0], f"{short[0]}:battery"
    raise InputError("no survival load is short", field="closure")


def _with_battery(run: StationRun, element_id: str, name: str):
    """The station with an empty battery ``name`` on ``element_id`` (when it has none yet)."""
    station = run.station
    if any(c.name == name for c in station.components):
        return station
    parts = [c for c in station.components if _element_of(c.name) == element_id]
    arrival = parts[0].arrival_utc if parts else None
    data = station.model_dump()
    data["components"].append(
        {"type": "battery", "name": name, "capacity_wh": 0.0, "arrival_utc": arrival}
    )
    return parse_station(data)


def _unmet_shortfall(check: SurvivalCheck, reason: str) -> UnmetNeed:
    element = _element_of(check.short_loads[0]) if check.short_loads else None
    if not check.served:
        return UnmetNeed(
            "survival energy", element, check.critical_energy_not_served_kwh, "kWh", reason
        )
    return UnmetNeed("survival margin", element, check.min_survival_margin_h, "h", reason)
