"""Partner utilisation shares: derived from contributions, or taken from a preset.

The rule (explicit and the only one used):

1. Each contribution gets a value ``v``: its ``value_musd`` if given, otherwise
   ``mass_kg * price_musd_per_kg[kind]`` (elements: hardware delivered to the surface; launches:
   mass delivered to the surface by the partner's launcher).
2. It is weighted by the kind's weight ``kind_weight[kind]`` (1 for every kind by default:
   a dollar of hardware, of launch or of cash counts the same).
3. A partner's share is its weighted value over the total of all partners; shares sum to one.

This is the barter logic of the ISS Memoranda of Understanding (utilisation rights in
proportion to contributed hardware and operations, valued in a common unit), reduced to one
formula. The ISS US-segment split is available as the ``"iss"`` preset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from moonbase.errors import InputError
from moonbase.science.models import Contribution, ContributionKind, Partner

__all__ = [
    "DEFAULT_KIND_WEIGHT",
    "DEFAULT_PRICE_MUSD_PER_KG",
    "ISS_US_SEGMENT_SHARES",
    "PRESETS",
    "contribution_value_musd",
    "preset_partners",
    "shares_from_contributions",
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
    grand = sum(totals.values())
    if grand <= 0:
        raise InputError(
            "the contributions add up to zero, so no share can be derived",
            field="contributions",
            hint="give value_musd or mass_kg for at least one contribution",
        )
    return {pid: total / grand for pid, total in totals.items()}


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
