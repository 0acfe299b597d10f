"""The closure step of the plan: the station sizes what it needs to survive, and re-plans.

After the twin runs with the logistics' manifests on board
(:func:`moonbase.logistics.supply_station`), :func:`check_survival` asks whether the station
survives: its critical (priority 1) loads are served through every night at the chosen cell
(critical energy not served within ``tolerance_kwh`` of 0) and the survival margin never falls
to 0 (``min_survival_margin_h > 0``, hence also after the longest darkness); and
:func:`stock_shortfalls` whether every critical store (O2, water, food, make-up gas) holds its
reserve.

Where the station is short of energy, :func:`close_station` first tries a planned power source
flown earlier (:func:`earlier_power_fix`: a reactor or arrays not operating yet at the first
short hour, if the campaign can fly it in time, adds no mass); else it sizes storage:

1. the first hour a survival load goes unserved (or, if all are served, the hour the margin is
   smallest) names the element whose survival load is short; the battery sized is that
   element's, or else the battery of the element with storage present then (the first in
   station order), or else a new one on the short element (:func:`storage_to_size`);
2. :func:`moonbase.systems.sizing.size_component` bisects that battery's capacity on the twin's
   own drivers until no survival energy is short, then adds the sizing margin;
3. the design changes, storage on the element first (:func:`apply_storage`, fix ``"storage on
   element"``): the element's ``energy_storage_wh`` grows, its landed mass grows by the added
   storage at ``specific_energy_wh_per_kg`` (:data:`STORAGE_SPECIFIC_ENERGY_WH_PER_KG`) and its
   TLI mass by that over its landed fraction, and the campaign is re-planned with the changed
   masses (the element may move to another launcher and date) without its Monte Carlo;
4. where no allowed launcher can carry the heavier element, or no campaign can fly it, the
   added storage flies as separate storage elements instead (:func:`add_storage_elements`, fix
   ``"storage element"``): notional energy storage units at the site, ``<element>-STORAGE-<n>``,
   split into the fewest units within the landed capacity of the best launcher available in
   the element's window, each on the launchers that can carry it. The element requires its
   units, so they operate before it and its first night is covered; if no campaign flies
   that, the units fly independently, and a shortfall that then lies before they land is
   reported unmet with the hours it leaves unserved (more storage cannot serve those). The
   twin's batteries share one bus (:func:`moonbase.systems.power.dispatch` draws every unit
   present for the whole station's demand), so a unit's storage covers any element's survival
   loads;
5. the twin runs again on the re-planned campaign, supplied again.

A fix neither way can fly is not applied and is reported unmet (``"storage mass"``).

Where a store is short (no manifest on the campaign's flights can keep it at its reserve), a
notional logistics flight lands the smallest mass that does, by the date it is first needed
(:func:`resupply_fix`); where no launcher can, the store's need is unmet with its mass and date.

The loop stops when the station survives, or after ``max_iterations`` fixes; a station that does
not close says which need is unmet and by how much (:class:`UnmetNeed`), never by raising.
"""

from moonbase.closure.loop import close_station, stock_shortfalls
from moonbase.closure.power import earlier_power_fix
from moonbase.closure.records import Closure, ClosureIteration, SurvivalCheck, UnmetNeed
from moonbase.closure.resupply import logistics_element_id, resupply_fix
from moonbase.closure.storage import (
    STORAGE_SPECIFIC_ENERGY_WH_PER_KG,
    Fix,
    add_storage_elements,
    apply_storage,
    replan,
    storage_fix,
    storage_unit_id,
)
from moonbase.closure.survival import check_survival, storage_to_size

__all__ = [
    "STORAGE_SPECIFIC_ENERGY_WH_PER_KG",
    "Closure",
    "ClosureIteration",
    "Fix",
    "SurvivalCheck",
    "UnmetNeed",
    "add_storage_elements",
    "apply_storage",
    "check_survival",
    "close_station",
    "earlier_power_fix",
    "logistics_element_id",
    "replan",
    "resupply_fix",
    "stock_shortfalls",
    "storage_fix",
    "storage_to_size",
    "storage_unit_id",
]
