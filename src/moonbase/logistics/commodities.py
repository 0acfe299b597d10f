"""The commodities the station's logistics carry, after SpaceNet's classes of supply.

Each commodity is a mass (kg) held in one of the station's stores
(:class:`moonbase.systems.Cargo` delivers it, the twin draws it). The class of supply is
SpaceNet's (MIT Strategic Engineering, SpaceNet 2.5: COS 2 crew provisions, 4 maintenance and
upkeep, 6 exploration and research, each with its sub-classes). *Critical* commodities keep
the crew alive: the plan must never let them fall below their reserve, and the closure step
adds a logistics flight when no manifest can keep them there. ISRU products (oxygen from
regolith) join the O2 store as production; the regolith feed is mined at the site and never
shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMODITIES", "CRITICAL", "Commodity", "commodity"]


@dataclass(frozen=True)
class Commodity:
    """A kind of supply: id (the twin's store and ``Cargo`` key), name, class, critical?"""

    id: str
    name: str
    supply_class: str
    critical: bool
    demand_model: str


#: The commodities, in report order.
COMMODITIES = (
    Commodity(
        "o2",
        "oxygen",
        "COS 203 gases",
        True,
        "crew metabolic O2 (BVAD) and the O2 in leaked cabin air, less O2 recovered and ISRU",
    ),
    Commodity(
        "water",
        "water",
        "COS 201 water",
        True,
        "potable, hygiene and laundry water (BVAD, RP-1324), less water recovered",
    ),
    Commodity(
        "food",
        "food as shipped",
        "COS 202 food",
        True,
        "food as eaten plus packaging (BVAD)",
    ),
    Commodity(
        "n2",
        "nitrogen and make-up gas",
        "COS 203 gases",
        True,
        "cabin air leaked while crew are on board, less its oxygen",
    ),
    Commodity(
        "spares",
        "spare parts",
        "COS 401 spares and repair parts",
        False,
        "expected repairs from each component's MTBF and MTTR, less its own spares",
    ),
    Commodity(
        "science",
        "science payloads and consumables",
        "COS 601 science payloads",
        False,
        "each scheduled run's consumables_kg_per_run, as it starts",
    ),
)

#: Ids of the commodities the station cannot run out of.
CRITICAL = tuple(c.id for c in COMMODITIES if c.critical)


def commodity(commodity_id: str) -> Commodity:
    """The commodity called ``commodity_id`` (KeyError naming the valid ids otherwise)."""
    for c in COMMODITIES:
        if c.id == commodity_id:
            return c
    raise KeyError(f"no commodity {commodity_id!r}; valid: {', '.join(c.id for c in COMMODITIES)}")
