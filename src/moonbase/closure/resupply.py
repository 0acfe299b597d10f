"""The "logistics flight" fix: an extra flight that brings what no manifest can, in time.

When the manifests on the campaign's flights cannot keep a critical store (O2, water, food,
make-up gas) at its reserve (:class:`moonbase.logistics.Shortfall`: the smallest extra mass and
the first hour it is needed), the design gains a notional cargo flight to the station (a lander
at the site, or a cargo craft at the orbit node),
``LOGISTICS-<n>``, landing that mass of each short commodity (its ``landed_<commodity>_kg``; its
landed mass is their sum), with the launch window that makes it operate by the start of the
campaign bucket of the first need, on any launcher that can land it, paid by the partner whose
crew need it. The campaign is re-planned to fly it; where no launcher can land it in time, the
need is reported unmet with its amount and date.
"""

from __future__ import annotations

import pandas as pd

from moonbase.closure.records import UnmetNeed
from moonbase.closure.storage import Fix, replan
from moonbase.errors import InputError
from moonbase.systems.adapters import LANDED_FIELDS as LANDED_FIELD

__all__ = ["LANDED_FIELD", "logistics_element_id", "resupply_fix", "stock_unmet"]


def logistics_element_id(number: int) -> str:
    """The id of the closure step's ``number``-th logistics flight."""
    return f"LOGISTICS-{number}"


def _naive(when) -> pd.Timestamp:
    moment = pd.Timestamp(when)
    return moment.tz_convert("UTC").tz_localize(None) if moment.tzinfo is not None else moment


def _payer(scenario, campaign, moment: pd.Timestamp, location: str) -> str:
    """The partner of the crew on board at ``moment`` (else of the station's first element)."""
    arrivals = campaign.arrivals()
    for e in scenario.elements:
        if e.crew > 0 and e.location == location and e.surface_stay_days and e.id in arrivals:
            start = pd.Timestamp(arrivals[e.id]) if arrivals[e.id] is not None else None
            if start is None or start <= moment < start + pd.Timedelta(days=e.surface_stay_days):
                return e.partner
    here = [e for e in scenario.elements if e.location == location]
    return (here or scenario.elements)[0].partner if (here or scenario.elements) else ""


def stock_unmet(shortfalls, reason: str) -> list[UnmetNeed]:
    """Each short store as an unmet need: its mass, the date it is needed, and ``reason``."""
    return [
        UnmetNeed(
            f"{s.commodity} stock",
            None,
            s.mass_kg,
            "kg",
            f"{s.mass_kg:,.1f} kg needed by {_naive(s.by_utc):%Y-%m-%d %H:%M} UTC: {reason}",
        )
        for s in shortfalls
    ]


def resupply_fix(
    scenario, site, campaign, shortfalls, *, replan_time_limit_s: float, seed: int
) -> Fix | list[UnmetNeed]:
    """A logistics flight carrying ``shortfalls`` (critical :class:`Shortfall` s) in time."""
    from moonbase.scenario.models import Element

    shortfalls = [s for s in shortfalls if s.commodity in LANDED_FIELD]
    by = min(_naive(s.by_utc) for s in shortfalls)
    contents = {s.commodity: s.mass_kg for s in shortfalls}
    total = float(sum(contents.values()))
    instance = campaign.result.instance
    latest_bucket = instance.bucket_of(by.date()) - 1  # cargo lands as the flight operates
    if latest_bucket < instance.first_bucket_from(campaign.as_of):
        return stock_unmet(
            shortfalls,
            f"no flight launched after {campaign.as_of} operates at the station before then",
        )
    latest = instance.bucket_starts[latest_bucket]
    location = getattr(site, "location", "site")
    node_fraction = getattr(site, "delivered_fraction", None)

    def fraction(launcher) -> float:
        return node_fraction or launcher.landed_fraction

    launchers = [
        lch.id
        for lch in scenario.launchers
        if total / fraction(lch) <= lch.capacity_tli_kg + 1e-9
        and lch.first_available <= latest
        and (lch.last_available is None or lch.last_available >= campaign.as_of)
    ]
    if not launchers:
        return stock_unmet(
            shortfalls,
            f"no launcher available by {latest} brings {total:,.1f} kg to the station",
        )
    number = 1 + sum(e.id.startswith("LOGISTICS-") for e in scenario.elements)
    element_id = logistics_element_id(number)
    what = ", ".join(f"{kg:,.1f} kg {key}" for key, kg in contents.items())
    element = Element(
        id=element_id,
        name=f"Logistics flight {number}",
        partner=_payer(scenario, campaign, by, location),
        role="logistics",
        location=location,
        **(
            {"mass_tli_kg": total / node_fraction}
            if location == "node"
            else {"landed_mass_kg": total}
        ),
        mass_provenance="notional",
        mass_basis=f"notional: closure step, the cargo no manifest could bring ({what})",
        allowed_launchers=launchers,
        latest_launch=latest,
        provenance="notional",
        source=f"closure step: stores short by {by:%Y-%m-%d %H:%M} UTC",
        note="notional cargo lander: its landed mass is the cargo, delivered to the stores",
        **{LANDED_FIELD[key]: kg for key, kg in contents.items()},
    )
    changed = scenario.model_copy(update={"elements": [*scenario.elements, element]})
    try:
        new_campaign = replan(changed, site, campaign, replan_time_limit_s, seed)
    except InputError as error:
        return stock_unmet(
            shortfalls, f"no campaign flies a logistics flight by {latest} ({error})"
        )
    if new_campaign.arrivals().get(element_id) is None:
        return stock_unmet(shortfalls, f"the campaign does not fly a logistics flight by {latest}")
    launcher = next(
        (f.launcher for f in new_campaign.result.plan.flights if element_id in f.elements), None
    )
    tli = total / fraction(scenario.launcher(launcher)) if launcher else 0.0
    return Fix(
        "logistics flight",
        element_id,
        changed,
        new_campaign,
        added_kg=total,
        added_tli_kg=tli,
        new_elements=(element_id,),
        commodities=tuple(contents),
        need_by=by.date(),
    )
