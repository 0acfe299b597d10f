"""Life support and ISRU mass balance per crew-day, with loop closures and stocks.

Per-crew figures come by edition, chosen by name (:data:`CREW_RATES`, :func:`resolve_crew_rates`).
The default, ``"bvad-rev2"``, is the nominal crewmember of NASA's *Life Support Baseline Values
and Assumptions Document* (BVAD), NASA/TP-2015-218570 Rev 2 (Anderson, Ewert, Keener, eds.,
February 2022), Table 3-31 "Summary of Nominal Human Metabolic Interface Values" (82 kg
crewmember, RQ 0.860, daily exercise included):

==========================================  =====  =========
oxygen consumed                             0.895  kg/CM-d
food as eaten: solids 0.800 + water in      1.560  kg/CM-d
food before rehydration 0.760
potable water (2.00 drink + 0.5 food prep   3.217  kg/CM-d
+ 0.717 balance)
carbon dioxide load                         1.085  kg/CM-d
solid waste (faecal 0.032, perspiration     0.120  kg/CM-d
0.027, urine 0.061)
waste water (faecal 0.101, resp./persp.     4.467  kg/CM-d
2.946, urine 1.420)
==========================================  =====  =========

In 0.895 + 1.560 + 3.217 = 5.672 kg equals out 1.085 + 0.120 + 4.467 = 5.672 kg (metabolic water,
0.490 kg, is made and used inside the body). Beyond the metabolic interface the edition adds:

* food packaging, 0.274 kg/CM-d (BVAD Rev 2 Table 4-40, packaging waste): the stock holds food as
  shipped, 1.560 + 0.274 = 1.834 kg/CM-d, which matches the ISS packaged-food rate of about
  1.83 kg/CM-d (BVAD Rev 2 Table 4-47, after Perchonok 2002); the packaging leaves as trash;
* hygiene water 9.79 kg/CM-d (hand and face wash 4.09, shower 2.73, dish wash 2.48, urinal flush
  0.49) and laundry water 12.50 kg/CM-d: the planetary-base allocations of NASA RP-1324
  (Wieland 1994, "human daily needs", agreeing with NASA-STD-3000), 22.29 kg/CM-d in all,
  drawn from the water stock and returned to it as grey water at ``water_recovery``.

``"bvad-2004"`` is the earlier edition, NASA/CR-2004-208941 (Hanford, ed., 2004), nominal
crewmember interface values (70 kg, RQ 0.869): O2 0.835, food 0.617, potable water 3.909, CO2
0.998, solid waste 0.109, waste water 4.254 kg/CM-d (in 5.361 = out 5.361); its set carries the
metabolic interface only (no hygiene, laundry or packaging). Pass a :class:`CrewRates` of your
own for any other set.

Loop closures: ``o2_closure`` is the fraction of exhaled CO2 reduced to O2 and solid carbon
(Bosch-type ``CO2 -> C + O2``, molar masses 44.009 = 12.011 + 31.998 g/mol); ``water_recovery``
the fraction of waste and grey water returned to the potable stock (the rest is brine).
Processors work in proportion to the ECLSS power actually served. ISRU oxygen joins the O2 stock;
its regolith feed leaves as slag. A stock that runs dry records a *deficit* (demand it could not
meet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from moonbase.errors import InputError

__all__ = [
    "BVAD_2004",
    "BVAD_REV2",
    "CO2_MOLAR_MASS_G",
    "CREW_RATES",
    "DEFAULT_CREW_RATES",
    "O2_MOLAR_MASS_G",
    "CrewRates",
    "crew_flows",
    "resolve_crew_rates",
    "stock",
]

CO2_MOLAR_MASS_G = 44.009
O2_MOLAR_MASS_G = 31.998


@dataclass(frozen=True)
class CrewRates:
    """Per crewmember per day, kg.

    ``food_kg`` is food as eaten and ``water_kg`` potable water (drink and food preparation): with
    ``o2_kg`` they are what the body takes in, and ``co2_kg + solid_waste_kg + waste_water_kg``
    what it gives out. ``packaging_kg`` is drawn from the food stock with the food and leaves as
    trash; ``hygiene_water_kg`` and ``laundry_water_kg`` are drawn from the water stock and
    leave as grey water (recovered at the ECLSS ``water_recovery``).
    """

    o2_kg: float
    food_kg: float
    water_kg: float
    co2_kg: float
    solid_waste_kg: float
    waste_water_kg: float
    edition: str = ""
    packaging_kg: float = 0.0
    hygiene_water_kg: float = 0.0
    laundry_water_kg: float = 0.0

    @property
    def packaged_food_kg(self) -> float:
        """Food as shipped: as eaten plus packaging."""
        return self.food_kg + self.packaging_kg

    @property
    def grey_water_kg(self) -> float:
        """Hygiene plus laundry water."""
        return self.hygiene_water_kg + self.laundry_water_kg


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

#: NASA/TP-2015-218570 Rev 2 (BVAD, 2022) Table 3-31 nominal crewmember, with packaging (Table
#: 4-40) and the RP-1324 hygiene and laundry allocations (module docstring).
BVAD_REV2 = CrewRates(
    o2_kg=0.895,
    food_kg=0.800 + 0.760,
    water_kg=3.217,
    co2_kg=1.085,
    solid_waste_kg=0.032 + 0.027 + 0.061,
    waste_water_kg=0.101 + 2.946 + 1.420,
    edition="NASA/TP-2015-218570 Rev 2 (BVAD 2022) Table 3-31 nominal crewmember; packaging "
    "Table 4-40; hygiene and laundry water NASA RP-1324",
    packaging_kg=0.274,
    hygiene_water_kg=4.09 + 2.73 + 2.48 + 0.49,
    laundry_water_kg=12.50,
)

#: Per-crew figure sets by name (the default first).
CREW_RATES: dict[str, CrewRates] = {"bvad-rev2": BVAD_REV2, "bvad-2004": BVAD_2004}
DEFAULT_CREW_RATES = "bvad-rev2"


def resolve_crew_rates(rates=None) -> CrewRates:
    """A :class:`CrewRates` from a name in :data:`CREW_RATES`, a CrewRates, or None (default)."""
    if rates is None:
        rates = DEFAULT_CREW_RATES
    if isinstance(rates, CrewRates):
        return rates
    if isinstance(rates, str) and rates.strip().lower() in CREW_RATES:
        return CREW_RATES[rates.strip().lower()]
    raise InputError(
        f"unknown crew rates {rates!r}; valid names: {', '.join(CREW_RATES)}",
        field="crew_rates",
        hint=f"pass crew_rates={DEFAULT_CREW_RATES!r} (default), 'bvad-2004', or a "
        "moonbase.systems.eclss.CrewRates",
    )


def crew_flows(crew, step_s: float, rates=None) -> dict:
    """Crew consumption and production per step (kg), from crew on board per step.

    ``rates``: a :class:`CrewRates` or a name in :data:`CREW_RATES` (default ``"bvad-rev2"``).
    """
    rates = resolve_crew_rates(rates)
    crew_days = np.asarray(crew, dtype=float) * (step_s / 86400.0)
    return {
        "packaging_kg": crew_days * rates.packaging_kg,
        "grey_water_kg": crew_days * rates.grey_water_kg,
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
