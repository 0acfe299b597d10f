"""The campaign planner's own input model: elements, launchers, partners, time buckets.

A :class:`CampaignInstance` is everything the optimiser, the greedy baseline, the plan checker
and the Monte Carlo need, already reduced to the planning grid: dates are turned into bucket
indices by :meth:`CampaignInstance.bucket_of`, the landing-daylight calendar is one number per
bucket. Build one by hand, from a scenario (:func:`moonbase.campaign.instance_from_scenario`)
or at random (:func:`moonbase.campaign.synthetic_instance`).

Conventions
-----------
* Time is a sequence of buckets ``0 .. n_buckets - 1`` (``bucket_starts``, monthly by default).
  An element launched in bucket ``b`` is operating from bucket ``b + lag`` where
  ``lag = ceil(commissioning_days / bucket length)``; ``ready`` below means that bucket.
* Precedence: an element may launch only in a bucket where everything it ``requires`` is
  operating, and, for each capability it ``needs``, at least one element that ``provides`` it.
* Masses: ``landed_mass_kg`` is what reaches the surface; on launcher ``L`` it takes
  ``mass_tli_kg`` or else ``landed_mass_kg / L.landed_fraction`` of the launcher's TLI capacity.
* Money in millions of US dollars (``_musd``). A launch is paid by the launcher's partner, an
  element by its own partner, in the calendar year of the launch.
"""

from __future__ import annotations

import itertools
import math
from datetime import date
from functools import cached_property

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moonbase.errors import InputError
from moonbase.graphs import find_cycle

__all__ = [
    "OBJECTIVES",
    "CampaignConfig",
    "CampaignElement",
    "CampaignInstance",
    "CampaignLauncher",
    "CampaignPartner",
    "check_instance",
]

#: Objective names (the scenario policies use the same words).
#: ``earliest_launches`` (sum of launch buckets) is a tie-breaker: non-critical elements fly early.
OBJECTIVES = ("earliest_basic_model", "max_capability_by_date", "least_cost", "earliest_launches")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CampaignElement(_Model):
    """One thing to fly: a lander, a module, a power unit, a crewed landing."""

    id: str
    partner: str
    landed_mass_kg: float = Field(gt=0)
    mass_tli_kg: float | None = Field(default=None, gt=0)
    requires: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    provides: list[str] = Field(default_factory=list)
    allowed_launchers: list[str] = Field(default_factory=list)
    earliest_launch: date | None = None
    latest_launch: date | None = None
    commissioning_days: float = Field(default=30.0, ge=0)
    lands: bool = True
    required: bool = True
    basic_model: bool = False
    value: int = Field(default=1, ge=0)
    cost_musd: float = Field(default=0.0, ge=0)
    operating_from: date | None = None  # already flown: operating from this date, not scheduled


class CampaignLauncher(_Model):
    """A launch vehicle family with its capacity, cadence, availability and flight record."""

    id: str
    partner: str
    capacity_tli_kg: float = Field(gt=0)
    landed_fraction: float = Field(gt=0, le=1)
    cadence_per_year: int = Field(ge=1)
    available_from: date
    available_until: date | None = None
    max_flights: int | None = Field(default=None, ge=0)
    cost_musd: float = Field(default=0.0, ge=0)
    reliability_alpha: float = Field(default=1.0, gt=0)  # Beta prior: successes + 1
    reliability_beta: float = Field(default=1.0, gt=0)  # Beta prior: failures + 1

    @property
    def reliability_mean(self) -> float:
        return self.reliability_alpha / (self.reliability_alpha + self.reliability_beta)


class CampaignPartner(_Model):
    """A partner; ``budget_musd_per_year`` (None: unlimited) caps what it pays in any year."""

    id: str
    budget_musd_per_year: float | None = Field(default=None, ge=0)


class CampaignConfig(_Model):
    """How to solve: objectives in lexicographic order, limits and switches."""

    objectives: list[str] = Field(
        default_factory=lambda: ["earliest_basic_model", "least_cost", "earliest_launches"]
    )
    capability_deadline: date | None = None
    co_manifesting: bool = True
    landing_min_daylight_fraction: float = Field(default=0.5, ge=0, le=1)
    time_limit_s: float = Field(default=20.0, gt=0)
    relative_gap: float = Field(default=0.0, ge=0)
    workers: int = Field(default=2, ge=1)
    seed: int = 0

    @model_validator(mode="after")
    def _known_objectives(self):
        for name in self.objectives:
            if name not in OBJECTIVES:
                raise ValueError(f"unknown objective {name!r}; choose from {', '.join(OBJECTIVES)}")
        return self


class CampaignInstance(_Model):
    """Elements, launchers, partners and the bucket grid with its landing-daylight calendar.

    ``bucket_starts`` holds ``n_buckets + 1`` dates (the last one closes the window).
    ``daylight_fraction`` holds one value per bucket: the fraction of the bucket with the Sun
    above the landing threshold at the site (1.0 everywhere when unknown).
    """

    name: str = "campaign"
    elements: list[CampaignElement]
    launchers: list[CampaignLauncher]
    partners: list[CampaignPartner]
    bucket_starts: list[date] = Field(min_length=2)
    daylight_fraction: list[float] | None = None
    basic_model_target: date | None = None
    config: CampaignConfig = Field(default_factory=CampaignConfig)

    def __init__(self, **data):
        super().__init__(**data)
        # cross-references are checked after pydantic so the InputError reaches the user as is
        check_instance(self)

    # ---- grid helpers -------------------------------------------------------------------
    @property
    def n_buckets(self) -> int:
        return len(self.bucket_starts) - 1

    @property
    def bucket_days(self) -> float:
        """Mean bucket length in days."""
        span = (self.bucket_starts[-1] - self.bucket_starts[0]).days
        return span / self.n_buckets

    @cached_property
    def _starts(self) -> np.ndarray:
        return np.array(self.bucket_starts, dtype="datetime64[D]")

    def bucket_of(self, day: date) -> int:
        """Index of the bucket containing ``day`` (-1 before the window, n_buckets after it)."""
        starts = self._starts
        return int(np.searchsorted(starts, np.datetime64(day, "D"), side="right")) - 1

    def first_bucket_from(self, day: date | None) -> int:
        """First bucket starting on or after ``day`` (0 when ``day`` is None)."""
        if day is None:
            return 0
        starts = self._starts
        return int(np.searchsorted(starts, np.datetime64(day, "D"), side="left"))

    def bucket_years(self) -> np.ndarray:
        """Calendar year of each bucket's start, shape (n_buckets,)."""
        return self._years.copy()

    @cached_property
    def _years(self) -> np.ndarray:
        return np.array([d.year for d in self.bucket_starts[:-1]], dtype=np.int64)

    def daylight(self) -> np.ndarray:
        if self.daylight_fraction is None:
            return np.ones(self.n_buckets)
        return np.asarray(self.daylight_fraction, dtype=float)

    def landing_allowed(self) -> np.ndarray:
        """Boolean per bucket: may a lander touch down in this bucket?"""
        return self.daylight() >= self.config.landing_min_daylight_fraction - 1e-12

    def lag_buckets(self, element: CampaignElement) -> int:
        """Buckets from launch to operating for ``element`` (at least 1)."""
        return max(1, math.ceil(element.commissioning_days / self.bucket_days - 1e-9))

    def mass_tli_kg(self, element: CampaignElement, launcher: CampaignLauncher) -> float:
        if element.mass_tli_kg is not None:
            return element.mass_tli_kg
        return element.landed_mass_kg / launcher.landed_fraction

    def can_carry(self, element: CampaignElement, launcher: CampaignLauncher) -> bool:
        if element.allowed_launchers and launcher.id not in element.allowed_launchers:
            return False
        return self.mass_tli_kg(element, launcher) <= launcher.capacity_tli_kg + 1e-9

    def launcher_window(self, launcher: CampaignLauncher) -> tuple[int, int]:
        """First and last bucket (inclusive) in which ``launcher`` can fly."""
        first = max(0, self.first_bucket_from(launcher.available_from))
        last = self.n_buckets - 1
        if launcher.available_until is not None:
            last = min(last, self.bucket_of(launcher.available_until))
        return first, last

    def flight_slots(self) -> list[tuple[str, int]]:
        """Candidate flights ``(launcher id, k)``: ``max_flights`` or cadence x years available."""
        slots = []
        for launcher in self.launchers:
            first, last = self.launcher_window(launcher)
            if last < first:
                continue
            years = len(set(self.bucket_years()[first : last + 1].tolist()))
            count = launcher.cadence_per_year * years
            if launcher.max_flights is not None:
                count = min(count, launcher.max_flights)
            count = min(count, last - first + 1)
            slots.extend((launcher.id, k) for k in range(count))
        return slots

    def scheduled(self) -> list[CampaignElement]:
        """Elements the planner places (those not already operating)."""
        return [e for e in self.elements if e.operating_from is None]

    def element(self, element_id: str) -> CampaignElement:
        for element in self.elements:
            if element.id == element_id:
                return element
        raise KeyError(element_id)

    def launcher(self, launcher_id: str) -> CampaignLauncher:
        for launcher in self.launchers:
            if launcher.id == launcher_id:
                return launcher
        raise KeyError(launcher_id)

    def budgets(self) -> dict[str, float]:
        return {
            p.id: p.budget_musd_per_year
            for p in self.partners
            if p.budget_musd_per_year is not None
        }


def check_instance(instance: CampaignInstance) -> None:
    """Cross-reference checks (ids, partners, launchers, cycles); raise :class:`InputError`.

    Runs on construction; call it after ``model_validate``/``model_validate_json``, which
    bypass the constructor.
    """
    ids = [e.id for e in instance.elements]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError(f"duplicate element ids {dup}", field="elements")
    partners = {p.id for p in instance.partners}
    launchers = {launcher.id for launcher in instance.launchers}
    provided = {tag for e in instance.elements for tag in e.provides}
    for e in instance.elements:
        if e.partner not in partners:
            raise InputError(
                f"element {e.id!r} belongs to unknown partner {e.partner!r}",
                field=f"elements.{e.id}.partner",
                hint=f"use one of {sorted(partners)}",
            )
        for other in e.requires:
            if other not in ids:
                raise InputError(
                    f"element {e.id!r} requires unknown element {other!r}",
                    field=f"elements.{e.id}.requires",
                )
        for tag in e.needs:
            if tag not in provided:
                raise InputError(
                    f"element {e.id!r} needs capability {tag!r} that no element provides",
                    field=f"elements.{e.id}.needs",
                )
        for name in e.allowed_launchers:
            if name not in launchers:
                raise InputError(
                    f"element {e.id!r} allows unknown launcher {name!r}",
                    field=f"elements.{e.id}.allowed_launchers",
                )
    for launcher in instance.launchers:
        if launcher.partner not in partners:
            raise InputError(
                f"launcher {launcher.id!r} belongs to unknown partner {launcher.partner!r}",
                field=f"launchers.{launcher.id}.partner",
            )
    starts = instance.bucket_starts
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise InputError("bucket_starts must increase strictly", field="bucket_starts")
    if (
        instance.daylight_fraction is not None
        and len(instance.daylight_fraction) != len(starts) - 1
    ):
        raise InputError(
            f"daylight_fraction has {len(instance.daylight_fraction)} values for "
            f"{len(starts) - 1} buckets",
            field="daylight_fraction",
            hint="give one value per bucket (len(bucket_starts) - 1)",
        )
    cycle = _find_cycle(instance)
    if cycle:
        raise InputError("circular dependency: " + " -> ".join(cycle), field="elements.requires")


def _find_cycle(instance: CampaignInstance) -> list[str]:
    """A dependency cycle of the elements' ``requires``, closed (``[a, b, a]``), or ``[]``."""
    cycle = find_cycle({e.id: list(e.requires) for e in instance.elements})
    return [*cycle, cycle[0]] if cycle else []
