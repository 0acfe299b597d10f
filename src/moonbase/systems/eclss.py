"""Life support and ISRU mass balance per crew-day, with loop closures and stocks.

Per-crew figures are the nominal crewmember interface values of NASA's *Advanced Life Support
Baseline Values and Assumptions Document* (BVAD), NASA/CR-2004-208941 (Hanford, ed., 2004),
for a 70 kg crewmember with respiratory quotient 0.869 and 11.82 MJ/CM-d metabolic energy:

=========================================  =====  =========
oxygen consumed                            0.835  kg/CM-d
food consumed (dry mass)                   0.617  kg/CM-d
potable water consumed (drink + food)      3.909  kg/CM-d
carbon dioxide generated                   0.998  kg/CM-d
solid waste (faeces, sweat, urine solids)  0.109  kg/CM-d  (0.032 + 0.018 + 0.059)
waste water (faecal, resp./perspiration,   4.254  kg/CM-d  (0.091 + 2.277 + 1.886)
urine)
=========================================  =====  =========

Inputs (5.361 kg) equal outputs (5.361 kg): the crewmember is in mass balance. The 2015/2018
BVAD (NASA/TP-2015-218570) revises these slightly (e.g. O2 0.82, CO2 1.04 kg/CM-d); pass your
own :class:`CrewRates` to use another edition.

Loop closures: ``o2_closure`` is the fraction of exhaled CO2 reduced to O2 and solid carbon
(Bosch-type ``CO2 -> C + O2``, molar masses 44.009 = 12.011 + 31.998 g/mol); ``water_recovery``
the fraction of waste water returned to the potable stock (the rest is brine). Processors work
in proportion to the ECLSS power actually served. ISRU oxygen joins the O2 stock; its regolith
feed leaves as slag. A stock that runs dry records a *deficit* (demand it could not meet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["BVAD_2004", "CO2_MOLAR_MASS_G", "O2_MOLAR_MASS_G", "CrewRates", "crew_flows", "stock"]

CO2_MOLAR_MASS_G = 44.009
O2_MOLAR_MASS_G = 31.998


@dataclass(frozen=True)
class CrewRates:
    """Per crewmember per day, kg."""

    o2_kg: float
    food_kg: float
    water_kg: float
    co2_kg: float
    solid_waste_kg: float
    waste_water_kg: float
    edition: str = ""


#: NASA/CR-2004-208941 (ALS BVAD, 2004), nominal crewmember interface values.
BVAD_2004 = CrewRates(
    o2_kg=0.835,
    food_kg=0.617,
    water_kg=3.909,
    co2_kg=0.998,
    solid_waste_kg=0.032 + 0.018 + 0.059,
    waste_water_kg=0.091 + 2.277 + 1.886,
    edition="NASA/CR-2004-208941 (ALS BVAD 2004), nominal crewmember",
)


def crew_flows(crew, step_s: float, rates: CrewRates = BVAD_2004) -> dict:
    """Crew consumption and production per step (kg), from crew on board per step."""
    crew_days = np.asarray(crew, dtype=float) * (step_s / 86400.0)
    return {
        "o2_consumed_kg": crew_days * rates.o2_kg,
        "food_consumed_kg": crew_days * rates.food_kg,
        "water_consumed_kg": crew_days * rates.water_kg,
        "co2_generated_kg": crew_days * rates.co2_kg,
        "solid_waste_kg": crew_days * rates.solid_waste_kg,
        "waste_water_kg": crew_days * rates.waste_water_kg,
    }


@numba.njit(cache=True)
def _stock(initial, inflow, outflow):  # pragma: no cover - compiled
    n = inflow.shape[0]
    level = np.empty(n + 1)
    deficit = np.zeros(n)
    s = initial
    level[0] = s
    for t in range(n):
        s = s + inflow[t] - outflow[t]
        if s < 0.0:
            deficit[t] = -s
            s = 0.0
        level[t + 1] = s
    return level, deficit


def stock(initial_kg: float, inflow_kg, outflow_kg):
    """A stock that cannot go negative: levels ``(T+1,)`` and the unmet outflow per step."""
    return _stock(
        float(initial_kg),
        np.ascontiguousarray(inflow_kg, dtype=float),
        np.ascontiguousarray(outflow_kg, dtype=float),
    )
