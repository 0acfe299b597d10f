"""Logistics: commodities, demand models, manifests on the campaign's flights, stores over time.

The stage between the campaign and the systems twin: :func:`supply_station` manifests the
station's demand on the spare capacity of the flights that land at it and runs the twin with
the cargo on board (:mod:`moonbase.logistics.stage`). The pieces, after SpaceNet's model:
:mod:`~moonbase.logistics.commodities` (classes of supply), :mod:`~moonbase.logistics.demand`
(crew consumables, sparing, science consumables), :mod:`~moonbase.logistics.carriers` (flights
and their spare capacity) and :mod:`~moonbase.logistics.manifest` (the manifest programme).
"""

from moonbase.logistics.carriers import Carrier, carriers_from_campaign
from moonbase.logistics.commodities import COMMODITIES, CRITICAL, Commodity, commodity
from moonbase.logistics.demand import (
    Demand,
    crew_consumables,
    science_consumables,
    spares_by_mtbf,
)
from moonbase.logistics.manifest import ManifestPlan, Shortfall, fill_manifests
from moonbase.logistics.stage import (
    Logistics,
    plan_logistics,
    supply,
    supply_science,
    supply_station,
)

__all__ = [
    "COMMODITIES",
    "CRITICAL",
    "Carrier",
    "Commodity",
    "Demand",
    "Logistics",
    "ManifestPlan",
    "Shortfall",
    "carriers_from_campaign",
    "commodity",
    "crew_consumables",
    "fill_manifests",
    "plan_logistics",
    "science_consumables",
    "spares_by_mtbf",
    "supply",
    "supply_science",
    "supply_station",
]
