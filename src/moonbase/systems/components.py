"""Station components: pydantic models of the things on the surface, with units in field names.

A :class:`Station` is a list of components, each with a ``type`` (the discriminator), a unique
``name``, an optional ``arrival_utc`` (absent: on the surface from the first step) and optional
``retire_utc``, and reliability figures (``mtbf_h``, ``mttr_h``, ``spares``, ``spare_mass_kg``).
Every load has a ``priority``: 1 is survival (never shed while energy lasts), larger numbers are
shed first. A :class:`Cargo` is goods delivered to the station's stores on its ``arrival_utc``
(the logistics commodities of :mod:`moonbase.logistics.commodities`).

:func:`parse_station` turns a dict (from TOML/JSON) into a :class:`Station` and reports any
mistake as :class:`moonbase.errors.InputError` naming the field, e.g.
``components[2].capacity_wh: must be >= 0, got -5``.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from moonbase.errors import InputError
from moonbase.io import read_user_text

__all__ = [
    "CARGO_COMMODITIES",
    "COMPONENT_TYPES",
    "Battery",
    "Cargo",
    "CommsTerminal",
    "Eclss",
    "FissionReactor",
    "Habitat",
    "IsruPlant",
    "Load",
    "LoadRun",
    "RegenerativeFuelCell",
    "ScheduledLoad",
    "SolarArray",
    "Station",
    "load_station",
    "parse_station",
]


class _Component(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    arrival_utc: datetime | None = None
    retire_utc: datetime | None = None
    mass_kg: float = Field(0.0, ge=0)
    mtbf_h: float | None = Field(None, gt=0, description="mean time between failures")
    mttr_h: float = Field(72.0, ge=0, description="mean time to repair (with a spare)")
    spares: int = Field(0, ge=0, description="spares on hand; without one a failure is final")
    spare_mass_kg: float = Field(
        0.0,
        ge=0,
        description="mass of the parts one repair uses, drawn from the station's spares stock "
        "once the component's own spares are used (0: it draws none)",
    )


class SolarArray(_Component):
    """Photovoltaic array. ``rated_power_w``: output at normal incidence, 1 au, beginning of life.

    ``mount`` names the incidence model (see :data:`moonbase.systems.power.PV_MODELS`); when
    absent it is inferred: ``tilt_deg == 90`` gives ``"vertical"``, otherwise ``"fixed"``.
    ``mast_height_m`` is recorded only: the height's effect on illumination is in the drivers.
    """

    type: Literal["solar_array"] = "solar_array"
    rated_power_w: float = Field(ge=0)
    mount: str | None = None
    tilt_deg: float = Field(90.0, ge=0, le=90)
    azimuth_deg: float = Field(0.0, ge=0, lt=360)
    degradation_per_year: float = Field(0.01, ge=0, lt=1)
    mast_height_m: float = Field(0.0, ge=0)


class FissionReactor(_Component):
    """Fission surface power unit delivering ``power_w`` electric (NASA FSP class: 40 kWe)."""

    type: Literal["fission_reactor"] = "fission_reactor"
    power_w: float = Field(40_000.0, ge=0)


class _Storage(_Component):
    capacity_wh: float = Field(ge=0)
    round_trip_efficiency: float = Field(gt=0, le=1)
    depth_of_discharge: float = Field(0.8, gt=0, le=1)
    max_charge_w: float | None = Field(None, ge=0)
    max_discharge_w: float | None = Field(None, ge=0)
    initial_soc: float = Field(1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _soc_above_floor(self):
        floor = 1.0 - self.depth_of_discharge
        if self.initial_soc < floor - 1e-12:
            raise ValueError(
                f"initial_soc {self.initial_soc} is below the depth-of-discharge floor {floor:g}"
            )
        return self


class Battery(_Storage):
    """Secondary battery: state of charge, round-trip efficiency, depth-of-discharge limit."""

    type: Literal["battery"] = "battery"
    round_trip_efficiency: float = Field(0.9, gt=0, le=1)


class RegenerativeFuelCell(_Storage):
    """Regenerative fuel cell (electrolyser + H2/O2 tanks + fuel cell); lower efficiency."""

    type: Literal["regenerative_fuel_cell"] = "regenerative_fuel_cell"
    round_trip_efficiency: float = Field(0.5, gt=0, le=1)
    depth_of_discharge: float = Field(0.95, gt=0, le=1)


class Load(_Component):
    """A constant electrical load while present and working; ``data_rate_mbps`` of science data."""

    type: Literal["load"] = "load"
    power_w: float = Field(ge=0)
    priority: int = Field(2, ge=1)
    data_rate_mbps: float = Field(0.0, ge=0)


class LoadRun(BaseModel):
    """One run of a :class:`ScheduledLoad`: ``power_w`` for ``duration_h`` from ``start_utc``,
    making ``data_volume_gbit`` evenly over those hours and drawing ``consumables_kg`` from the
    station's ``science`` stock as it starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_utc: datetime
    duration_h: float = Field(gt=0)
    power_w: float = Field(0.0, ge=0)
    data_volume_gbit: float = Field(0.0, ge=0)
    consumables_kg: float = Field(0.0, ge=0)
    label: str = ""


class ScheduledLoad(_Component):
    """A load with a time profile: its ``runs`` (e.g. a science schedule's experiment runs).

    In a step ``[t, t + step)`` each run draws ``power_w`` times the part of the step it covers
    and makes ``data_volume_gbit`` times the part of its duration in that step (scaled by the
    served fraction of the row, like any load's data). Its data are the station's *science*
    data: they use the downlink and the buffer the housekeeping data leave.
    """

    type: Literal["scheduled_load"] = "scheduled_load"
    runs: list[LoadRun] = Field(default_factory=list)
    priority: int = Field(4, ge=1)


class Habitat(_Component):
    """A module as one thermal node: ``C dT/dt = G (T_sink - T) + P_base + P_heater``.

    The sink temperature is ``dark_sink_c + (lit_sink_c - dark_sink_c) * sun_fraction``; the
    base electrical load ends up as heat inside; heaters hold ``setpoint_c`` up to
    ``heater_max_w``. Heater power is a survival (priority 1) load.
    """

    type: Literal["habitat"] = "habitat"
    power_w: float = Field(ge=0)
    priority: int = Field(1, ge=1)
    heat_capacity_j_per_k: float = Field(2.0e7, gt=0)
    conductance_w_per_k: float = Field(20.0, ge=0)
    setpoint_c: float = 5.0
    initial_temperature_c: float | None = None
    lit_sink_c: float = 20.0
    dark_sink_c: float = -180.0
    heater_max_w: float = Field(10_000.0, ge=0)


class Eclss(_Component):
    """Life support: BVAD per-crew demands, loop closures, consumable stocks, power per crew.

    ``cabin_leak_kg_per_day`` of cabin air is lost while crew are on board (the cabin is
    pressurised then); its oxygen (``cabin_o2_mass_fraction``) is made up from the O2 stock and
    the rest from the make-up gas (``n2``) stock.
    """

    type: Literal["eclss"] = "eclss"
    power_w_per_crew: float = Field(500.0, ge=0)
    priority: int = Field(1, ge=1)
    o2_closure: float = Field(0.0, ge=0, le=1, description="fraction of CO2 reduced to O2")
    water_recovery: float = Field(0.0, ge=0, le=1, description="fraction of waste water reused")
    initial_o2_kg: float = Field(0.0, ge=0)
    initial_water_kg: float = Field(0.0, ge=0)
    initial_food_kg: float = Field(0.0, ge=0)
    initial_n2_kg: float = Field(0.0, ge=0)
    cabin_leak_kg_per_day: float = Field(0.0, ge=0)
    #: Sea-level air: O2 is 20.95 % by volume, 23.1 % by mass (the rest N2 and Ar).
    cabin_o2_mass_fraction: float = Field(0.231, ge=0, le=1)


class IsruPlant(_Component):
    """Oxygen from regolith: ``o2_yield_kg_per_kwh`` of served energy; slag is the remainder."""

    type: Literal["isru_plant"] = "isru_plant"
    power_w: float = Field(ge=0)
    priority: int = Field(3, ge=1)
    o2_yield_kg_per_kwh: float = Field(gt=0)
    regolith_kg_per_kg_o2: float = Field(10.0, ge=1)


class CommsTerminal(_Component):
    """Downlink: direct-to-Earth when Earth is in view, relay when a relay window is open."""

    type: Literal["comms_terminal"] = "comms_terminal"
    power_w: float = Field(ge=0)
    priority: int = Field(2, ge=1)
    dte_rate_mbps: float = Field(0.0, ge=0)
    relay_rate_mbps: float = Field(0.0, ge=0)
    buffer_gbit: float = Field(1000.0, ge=0)


#: What a :class:`Cargo` may hold (kg each): the logistics commodities.
CARGO_COMMODITIES = ("o2", "water", "food", "n2", "spares", "science")


class Cargo(_Component):
    """Goods delivered to the station's stores on ``arrival_utc`` (absent: there from the start).

    ``contents_kg`` maps a commodity of :data:`CARGO_COMMODITIES` to its mass: ``o2``,
    ``water``, ``food`` (as shipped) and ``n2`` (make-up gas) join the life-support stocks,
    ``spares`` the spares stock that repairs draw on, ``science`` the science consumables that
    scheduled runs draw on. ``source`` says where it comes from (a flight's manifest, an
    element's own landed consumables).
    """

    type: Literal["cargo"] = "cargo"
    contents_kg: dict[str, float] = Field(default_factory=dict)
    source: str = ""

    @model_validator(mode="after")
    def _known_commodities(self):
        for key, value in self.contents_kg.items():
            if key not in CARGO_COMMODITIES:
                raise ValueError(
                    f"unknown commodity {key!r} in contents_kg; use {', '.join(CARGO_COMMODITIES)}"
                )
            if not value >= 0.0 or value == float("inf"):
                raise ValueError(f"contents_kg[{key!r}] must be a finite mass >= 0, got {value}")
        return self


Component = Annotated[
    SolarArray
    | FissionReactor
    | Battery
    | RegenerativeFuelCell
    | Load
    | Habitat
    | Eclss
    | IsruPlant
    | CommsTerminal
    | ScheduledLoad
    | Cargo,
    Field(discriminator="type"),
]

#: The valid ``type`` values, in the order used in error messages.
COMPONENT_TYPES = (
    "solar_array",
    "fission_reactor",
    "battery",
    "regenerative_fuel_cell",
    "load",
    "habitat",
    "eclss",
    "isru_plant",
    "comms_terminal",
    "scheduled_load",
    "cargo",
)


_CLASSES = {
    cls.model_fields["type"].default: cls
    for cls in (
        SolarArray,
        FissionReactor,
        Battery,
        RegenerativeFuelCell,
        Load,
        Habitat,
        Eclss,
        IsruPlant,
        CommsTerminal,
        ScheduledLoad,
        Cargo,
    )
}


class Station(BaseModel):
    """A station: a name and its components (unique names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "station"
    components: list[Component] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self):
        seen: set[str] = set()
        for component in self.components:
            if component.name in seen:
                raise ValueError(f"component name {component.name!r} is used twice")
            seen.add(component.name)
        return self

    def of_type(self, *types: str) -> list:
        """The components whose ``type`` is one of ``types``, in station order."""
        return [c for c in self.components if c.type in types]

    @property
    def data_buffer_gbit(self) -> float:
        """Onboard storage for data waiting for the downlink: its comms terminals' buffers."""
        return sum(c.buffer_gbit for c in self.of_type("comms_terminal"))

    def get(self, name: str):
        """The component called ``name``; InputError listing the names if there is none."""
        for component in self.components:
            if component.name == name:
                return component
        names = ", ".join(c.name for c in self.components)
        raise InputError(f"no component called {name!r}", field="component", hint=f"one of {names}")

    def replace(self, name: str, **changes: Any) -> Station:
        """A copy with component ``name`` changed (validated again)."""
        self.get(name)
        data = self.model_dump()
        for item in data["components"]:
            if item["name"] == name:
                item.update(changes)
        return parse_station(data)


def _location(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in COMPONENT_TYPES:
            continue  # pydantic adds the discriminator tag to the path
        else:
            text += f".{part}" if text else str(part)
    return text or "station"


def parse_station(data: dict | Station) -> Station:
    """Validate a station description; mistakes raise InputError naming the field.

    >>> s = parse_station({"components": [{"type": "battery", "name": "b", "capacity_wh": 1e4}]})
    >>> s.components[0].round_trip_efficiency
    0.9
    """
    if isinstance(data, Station):
        return data
    try:
        return Station.model_validate(data)
    except ValidationError as error:
        errors = error.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        field = _location(first["loc"])
        kind = first["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            got = first.get("ctx", {}).get("tag", "nothing")
            raise InputError(
                f"unknown component type {got!r}",
                field=f"{field}.type",
                hint=f"use one of {', '.join(COMPONENT_TYPES)}",
            ) from None
        message = first["msg"].removeprefix("Value error, ")
        if "input" in first and kind not in ("missing", "extra_forbidden"):
            message = f"{message}, got {first['input']!r}"
        hint = None
        if kind == "extra_forbidden":
            hint = "check the spelling against the component's fields (units are in the names)"
            tags = [part for part in first["loc"] if part in COMPONENT_TYPES]
            if tags:
                known = _CLASSES[tags[-1]].model_fields
                close = difflib.get_close_matches(str(first["loc"][-1]), list(known), n=1)
                if close:
                    hint = f"did you mean {close[0]!r}? (units are in the names)"
        elif kind == "missing":
            hint = "add it to the component"
        raise InputError(message, field=field, hint=hint) from None


def load_station(path: str | Path) -> Station:
    """Read a station from a TOML or JSON file (``[[components]]`` tables)."""
    path = Path(path)
    text = read_user_text(
        path, what="station file", field="station", hint="give a TOML or JSON station file"
    )
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{path}: cannot parse: {error}", field="station") from None
    try:
        return parse_station(data)
    except InputError as error:
        raise InputError(
            error.message, field=f"{path.name}: {error.field}", hint=error.hint
        ) from None
