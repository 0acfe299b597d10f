"""Partner utilisation shares: derived from contributions, or taken from a preset.

The rule (explicit and the only one used):

1. Each contribution gets a value ``v``: its ``value_musd`` if given, otherwise
   ``mass_kg * price_musd_per_kg[kind]`` (elements: hardware delivered to the surface; launches:
   mass delivered to the surface by the partner's launcher).
2. It is weighted by the kind's weight ``kind_weight[kind]`` (1 for every kind by default:
   a dollar of hardware, of launch or of cash counts the same).
3. A partner's share is its weighted value over the total of all partners; shares sum to one.

Step 3 is *the* share rule of moonbase, :func:`shares_of`, and every share is made by it:
entitlements from contributions (:func:`shares_from_contributions`), entitlements from a
scenario (:func:`entitlements_from_scenario`: contributed ``value_musd``, else landed mass of
the partner's surface elements, i.e. step 1 at 1 M$/kg), and delivered and requested shares of
utilisation (:func:`moonbase.science.solution.delivered_shares`, the science stage's table).

A fairness target needs one more step, :func:`demand_capped_entitlements`: a partner that asks
for less than its share of what the station delivers is entitled to what it asked for, no more,
and what it leaves is shared by the others in proportion to their entitlements (water filling).
The science stage's band (every partner within 2 points of that target) is held against it, so
that a partner without enough demand no longer holds the others back.

This is the barter logic of the ISS Memoranda of Understanding (utilisation rights in
proportion to contributed hardware and operations, valued in a common unit), reduced to one
formula. The ISS US-segment split is available as the ``"iss"`` preset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from moonbase.errors import InputError
from moonbase.science.models import Contribution, ContributionKind, Partner

__all__ = [
    "DEFAULT_KIND_WEIGHT",
    "DEFAULT_PRICE_MUSD_PER_KG",
    "ISS_US_SEGMENT_SHARES",
    "PRESETS",
    "contribution_value_musd",
    "demand_capped_entitlements",
    "entitlements_from_scenario",
    "preset_partners",
    "shares_from_contributions",
    "shares_of",
]

#: Utilisation of the ISS US Orbital Segment (NASA, JAXA, ESA, CSA), in fractions.
ISS_US_SEGMENT_SHARES: Mapping[str, float] = {
    "NASA": 0.766,
    "JAXA": 0.128,
    "ESA": 0.083,
    "CSA": 0.023,
}

PRESETS: Mapping[str, Mapping[str, float]] = {"iss": ISS_US_SEGMENT_SHARES}

#: Notional value of a kilogram delivered to the lunar surface, M$ (a planning figure that the
#: partners replace by their agreed one).
DEFAULT_PRICE_MUSD_PER_KG: Mapping[ContributionKind, float] = {
    ContributionKind.ELEMENT: 1.0,
    ContributionKind.LAUNCH: 1.0,
    ContributionKind.FUNDING: 0.0,
}

DEFAULT_KIND_WEIGHT: Mapping[ContributionKind, float] = {
    ContributionKind.ELEMENT: 1.0,
    ContributionKind.LAUNCH: 1.0,
    ContributionKind.FUNDING: 1.0,
}


def contribution_value_musd(
    contribution: Contribution,
    price_musd_per_kg: Mapping[ContributionKind, float] = DEFAULT_PRICE_MUSD_PER_KG,
) -> float:
    """Value of one contribution, M$: ``value_musd`` or ``mass_kg`` times the price per kg."""
    if contribution.value_musd is not None:
        return float(contribution.value_musd)
    return float(contribution.mass_kg) * float(price_musd_per_kg[contribution.kind])


def shares_from_contributions(
    partners: Iterable[Partner | str],
    contributions: Iterable[Contribution],
    *,
    price_musd_per_kg: Mapping[ContributionKind, float] = DEFAULT_PRICE_MUSD_PER_KG,
    kind_weight: Mapping[ContributionKind, float] = DEFAULT_KIND_WEIGHT,
) -> dict[str, float]:
    """Each partner's share of utilisation (fractions summing to one), by the module's rule.

    >>> from moonbase.science.models import Contribution
    >>> shares_from_contributions(["A", "B"], [
    ...     Contribution(partner="A", kind="element", mass_kg=3000),
    ...     Contribution(partner="B", kind="funding", value_musd=1000)])
    {'A': 0.75, 'B': 0.25}
    """
    ids = [p.id if isinstance(p, Partner) else str(p) for p in partners]
    totals = dict.fromkeys(ids, 0.0)
    for index, contribution in enumerate(contributions):
        if contribution.partner not in totals:
            raise InputError(
                f"contribution from unknown partner {contribution.partner!r}",
                field=f"contributions[{index}].partner",
                hint=f"use one of {sorted(totals)} or add the partner",
            )
        value = contribution_value_musd(contribution, price_musd_per_kg)
        totals[contribution.partner] += float(kind_weight[contribution.kind]) * value
    if sum(totals.values()) <= 0:
        raise InputError(
            "the contributions add up to zero, so no share can be derived",
            field="contributions",
            hint="give value_musd or mass_kg for at least one contribution",
        )
    return _shares_of_mapping(totals)


def shares_of(amounts, *, axis: int = 0) -> np.ndarray:
    """The one share rule: each partner's amount over the sum over partners (along ``axis``).

    ``amounts`` is ``(P, ...)`` (partners first by default); where the sum is zero the shares
    are NaN (nothing to share).

    >>> shares_of([3.0, 1.0]).tolist()
    [0.75, 0.25]
    """
    amounts = np.asarray(amounts, dtype=float)
    total = amounts.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, amounts / np.where(total > 0, total, 1.0), np.nan)


def _shares_of_mapping(amounts: Mapping[str, float]) -> dict[str, float]:
    ids = list(amounts)
    return dict(zip(ids, (float(v) for v in shares_of([amounts[i] for i in ids])), strict=True))


def entitlements_from_scenario(scenario) -> dict[str, float | None]:
    """Each scenario partner's entitlement (fraction), by :func:`shares_of`.

    Amounts: the ``value_musd`` of the partner's contributions when the scenario gives any;
    otherwise the mass of the station's elements it owns that have not failed (the hardware a
    partner puts at the station, as ISS shares followed hardware contributions): the
    ``landed_mass_kg`` of surface elements, and the mass that reaches the orbit node of node
    elements (``mass_tli_kg`` times :func:`moonbase.orbit.stage.delivered_fraction`).
    None for every partner when the amounts add up to zero.
    """
    values = {
        p.id: sum(c.value_musd or 0.0 for c in getattr(p, "contributions", ()))
        for p in scenario.partners
    }
    if sum(values.values()) <= 0:
        values = {p.id: 0.0 for p in scenario.partners}
        node_fraction = None
        for element in scenario.elements:
            if element.state == "failed":
                continue
            if element.location == "site":
                values[element.partner] += element.landed_mass_kg or 0.0
            elif element.location == "node" and getattr(scenario, "orbit", None) is not None:
                if node_fraction is None:
                    from moonbase.orbit.stage import delivered_fraction

                    node_fraction = delivered_fraction(scenario.orbit)
                values[element.partner] += (element.mass_tli_kg or 0.0) * node_fraction
    if sum(values.values()) <= 0:
        return dict.fromkeys(values)
    return _shares_of_mapping(values)


def preset_partners(name: str) -> tuple[Partner, ...]:
    """Partners with the entitlements of a preset (``"iss"``: NASA 76.6 %, JAXA 12.8 % ...)."""
    key = name.lower()
    if key not in PRESETS:
        raise InputError(
            f"unknown share preset {name!r}",
            field="preset",
            hint=f"choose one of {sorted(PRESETS)}",
        )
    return tuple(Partner(id=pid, name=pid, entitlement=e) for pid, e in PRESETS[key].items())


def demand_capped_entitlements(entitlement, demand, supply: float) -> np.ndarray:
    """Entitlements capped at demand: the one fairness target of the science stage.

    ``entitlement`` ``(P,)``: fractions by :func:`entitlements_from_scenario` (NaN: none, taken as
    0); ``demand`` ``(P,)``: the utilisation each partner asks for; ``supply``: the utilisation the
    station can deliver in all (an estimate: a schedule without fairness). A partner whose
    entitled amount ``e_i * supply`` covers its demand is capped at ``demand_i / supply``; the
    remainder is shared among the others in proportion to their entitlements, and this repeats
    until no further partner is capped (water filling). Where the supply exceeds the total
    demand, everyone is capped and the shares are the demand shares. Partners without demand get
    0; with no entitlement at all the demand shares are returned. The result sums to one (NaN
    everywhere where nobody asks for anything): it is a share by :func:`shares_of`.

    >>> demand_capped_entitlements([0.8, 0.1, 0.1], [900.0, 10.0, 200.0], 500.0).round(3).tolist()
    [0.871, 0.02, 0.109]
    """
    e = np.nan_to_num(np.asarray(entitlement, dtype=float), nan=0.0)
    d = np.maximum(np.asarray(demand, dtype=float), 0.0)
    if d.sum() <= 0:
        return np.full(d.shape, np.nan)
    supply = min(float(supply), float(d.sum()))
    e = np.where(d > 0, e, 0.0)
    if supply <= 0 or e.sum() <= 0:
        return shares_of(d)
    capped = np.zeros(d.shape, dtype=bool)
    amount = np.zeros(d.shape)
    while True:
        left = supply - d[capped].sum()
        free = ~capped & (e > 0)
        if not free.any() or left <= 0:
            break
        amount[free] = left * e[free] / e[free].sum()
        new = free & (amount >= d)
        if not new.any():
            break
        capped |= new
    amount[capped] = d[capped]
    # Demand without an entitlement is served only from what the entitled leave.
    spare = supply - amount.sum()
    loose = (e <= 0) & (d > 0)
    if spare > 0 and loose.any():
        amount[loose] = np.minimum(d[loose], spare * d[loose] / d[loose].sum())
    return shares_of(amount)
