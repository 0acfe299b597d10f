"""Station systems digital twin: power, thermal, life support, ISRU, communications, failures.

Functions first: :func:`simulate_station` runs a :class:`Station` (pydantic components) over a
:class:`Drivers` bundle (Sun disk fraction, Sun elevation/azimuth, Earth in view, relay
windows, crew on board) and returns a :class:`SimulationResult` with ``.kpis``, ``.series``,
``.balances`` and ``.figures()``. :func:`size_component` finds the smallest battery, array or
reactor that keeps the survival loads served; :func:`monte_carlo` runs seeded failure cases.
"""

from moonbase.systems.components import (
    COMPONENT_TYPES,
    Battery,
    CommsTerminal,
    Eclss,
    FissionReactor,
    Habitat,
    IsruPlant,
    Load,
    LoadRun,
    RegenerativeFuelCell,
    ScheduledLoad,
    SolarArray,
    Station,
    load_station,
    parse_station,
)
from moonbase.systems.drivers import Drivers, drivers_from_site_series, flat_horizon_drivers
from moonbase.systems.eclss import BVAD_2004, BVAD_REV2, CREW_RATES, CrewRates
from moonbase.systems.montecarlo import monte_carlo
from moonbase.systems.power import PV_MODELS, battery_capacity_for_night_wh
from moonbase.systems.reference import reference_station
from moonbase.systems.simulate import ConservationWarning, SimulationResult, simulate_station
from moonbase.systems.sizing import SizingResult, size_component
from moonbase.systems.thermal import THERMAL_MODELS

__all__ = [
    "BVAD_2004",
    "BVAD_REV2",
    "COMPONENT_TYPES",
    "CREW_RATES",
    "PV_MODELS",
    "THERMAL_MODELS",
    "Battery",
    "CommsTerminal",
    "ConservationWarning",
    "CrewRates",
    "Drivers",
    "Eclss",
    "FissionReactor",
    "Habitat",
    "IsruPlant",
    "Load",
    "LoadRun",
    "RegenerativeFuelCell",
    "ScheduledLoad",
    "SimulationResult",
    "SizingResult",
    "SolarArray",
    "Station",
    "battery_capacity_for_night_wh",
    "drivers_from_site_series",
    "flat_horizon_drivers",
    "load_station",
    "monte_carlo",
    "parse_station",
    "reference_station",
    "simulate_station",
    "size_component",
]
