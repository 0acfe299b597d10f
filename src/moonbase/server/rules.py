"""Rules of the portal, as plain functions: request checks, embargo and access, scoping.

These are what the API enforces; the dashboard only mirrors them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "Principal",
    "RequestLimits",
    "can_see_product",
    "check_request",
    "is_embargoed",
    "may_manage_token",
]

#: Hours of one lunar day (half a synodic month): the longest a sunlit run can last at most sites.
LUNAR_DAY_H = 29.530588 * 24.0 / 2.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's partner and role."""

    token_id: int
    partner_id: str
    role: str

    @property
    def is_planner(self) -> bool:
        return self.role == "station_planner"

    @property
    def is_admin(self) -> bool:
        return self.role in ("partner_admin", "station_planner")


#: The role ladder, lowest first: a role manages tokens of its own rung and below.
LADDER = ("member", "partner_admin", "station_planner")


def may_manage_token(who: Principal, partner_id: str, role: str) -> bool:
    """Whether ``who`` may create or revoke a ``role`` token of partner ``partner_id``.

    Station planners manage every token. A partner admin manages its own partner's member and
    partner_admin tokens, never a station planner's (the rung above it); members manage none.

    >>> admin = Principal(token_id=2, partner_id="CNSA", role="partner_admin")
    >>> may_manage_token(admin, "CNSA", "member"), may_manage_token(admin, "CNSA", "station_planner")
    (True, False)
    >>> may_manage_token(admin, "ESA", "member")
    False
    """
    if who.is_planner:
        return True
    if not who.is_admin or partner_id != who.partner_id or role not in LADDER:
        return False
    return LADDER.index(role) <= LADDER.index(who.role)


@dataclass(frozen=True)
class RequestLimits:
    """Station limits an experiment request must fit (defaults: the ILRS reference station)."""

    window_start: date = date(2028, 1, 1)
    window_end: date = date(2045, 12, 31)
    max_power_w: float = 3000.0
    max_data_gb: float = 2000.0


def check_request(values: dict, limits: RequestLimits) -> tuple[list[dict], list[dict]]:
    """Errors and warnings for a request's fields, each ``{"loc", "msg", "hint"}``.

    Errors stop the request (422); warnings are stored with it.

    >>> errors, _ = check_request({"earliest": date(2030, 5, 2), "latest": date(2030, 5, 1),
    ...     "duration_h": 10, "power_w": 100, "data_gb": 1, "needs_sunlight": False}, RequestLimits())
    >>> errors[0]["msg"]
    'latest (2030-05-01) is before earliest (2030-05-02)'
    """
    errors: list[dict] = []
    warnings: list[dict] = []

    def add(target: list, field: str, msg: str, hint: str) -> None:
        target.append({"loc": ["body", field], "msg": msg, "hint": hint, "type": "value_error"})

    earliest, latest = values["earliest"], values["latest"]
    if latest < earliest:
        add(
            errors,
            "latest",
            f"latest ({latest}) is before earliest ({earliest})",
            "swap the dates or widen the window",
        )
    else:
        window_h = ((latest - earliest).days + 1) * 24.0
        if values["duration_h"] > window_h:
            add(
                errors,
                "duration_h",
                f"duration {values['duration_h']:g} h does not fit the {window_h:g} h window",
                "shorten the run or widen earliest..latest",
            )
    if earliest < limits.window_start:
        add(
            errors,
            "earliest",
            f"earliest ({earliest}) is before station science starts ({limits.window_start})",
            f"choose a date on or after {limits.window_start}",
        )
    if latest > limits.window_end:
        add(
            errors,
            "latest",
            f"latest ({latest}) is after the planning horizon ({limits.window_end})",
            f"choose a date on or before {limits.window_end}",
        )
    if values["power_w"] > limits.max_power_w:
        add(
            errors,
            "power_w",
            f"{values['power_w']:g} W exceeds the {limits.max_power_w:g} W a single experiment may draw",
            "reduce the power or split the run",
        )
    if values["data_gb"] > limits.max_data_gb:
        add(
            errors,
            "data_gb",
            f"{values['data_gb']:g} GB exceeds the {limits.max_data_gb:g} GB per-request downlink",
            "reduce the data volume or split the run",
        )
    if values.get("needs_sunlight") and values["duration_h"] > LUNAR_DAY_H:
        add(
            errors,
            "duration_h",
            f"a sunlit run of {values['duration_h']:g} h is longer than a lunar day ({LUNAR_DAY_H:.0f} h)",
            "split it into runs of at most one lunar day",
        )
    if not errors and values["duration_h"] > 0.5 * ((latest - earliest).days + 1) * 24.0:
        add(
            warnings,
            "earliest",
            "the window leaves little room to schedule around other partners",
            "a wider window is more likely to be scheduled",
        )
    return errors, warnings


def is_embargoed(embargo_until: date | None, today: date) -> bool:
    """True while the embargo holds (through the ``embargo_until`` day itself)."""
    return embargo_until is not None and today <= embargo_until


def can_see_product(
    who: Principal, owner: str, access: str, embargo_until: date | None, today: date
) -> bool:
    """Whether ``who`` may see a product at all (its metadata and its content).

    The science archive's rules: the owner partner always; every other partner, station
    planners included, only once the embargo has passed, and before that the product does not
    appear in its queries at all. ``private`` products (a portal addition) are never released.

    >>> planner = Principal(token_id=1, partner_id="ILRS", role="station_planner")
    >>> can_see_product(planner, "CNSA", "consortium", date(2031, 5, 1), date(2031, 5, 1))
    False
    >>> can_see_product(planner, "CNSA", "consortium", date(2031, 5, 1), date(2031, 5, 2))
    True
    """
    if who.partner_id == owner:
        return True
    return access == "consortium" and not is_embargoed(embargo_until, today)
