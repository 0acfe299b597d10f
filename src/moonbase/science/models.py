"""Typed inputs of science utilisation: partners, contributions, requests, station resources.

These pydantic models are shared by the library, the CLI and the report. Time inside the
scheduler is counted in *buckets* (``bucket_hours`` long, e.g. 24 for days) from
``StationResources.start_utc``; the series of a :class:`StationResources` hold one value per
bucket.

Resource units at the API (converted to integers once, in :mod:`moonbase.science.instance`):

* ``power_w``: mean power available to experiments during the bucket (a running experiment
  draws its ``power_w`` throughout);
* ``downlink_mbit``: data volume that can be sent to Earth during the bucket; with
  ``data_buffer_gbit`` of onboard storage, data the downlink cannot send at once wait there
  for later buckets (:mod:`moonbase.science.buffer`);
* ``crew_time_h`` and ``robot_time_h``: crew and robot working hours available during the
  bucket (the scenario's names; the former ``crew_h``/``robot_h``, and ``crew_hours``/
  ``robot_hours`` of a request, are still accepted as input);
* ``payload_mass_kg`` and ``payload_volume_m3``: accommodation for installed experiments.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "RESOURCE_NAMES",
    "Category",
    "Contribution",
    "ContributionKind",
    "ExperimentRequest",
    "Partner",
    "SchedulingProblem",
    "StationResources",
]

#: Resources the scheduler knows, in the order of the demand columns.
RESOURCE_NAMES = (
    "power_w",
    "downlink_mbit",
    "crew_time_h",
    "robot_time_h",
    "payload_mass_kg",
    "payload_volume_m3",
)


class Category(StrEnum):
    """The four ILRS purposes (ILRS Guide for Partnership V1.0, 2021)."""

    EXPLORATION_AND_UTILISATION = "exploration_and_utilisation"
    LUNAR_BASED_OBSERVATION = "lunar_based_observation"
    BASIC_SCIENCE = "basic_science"
    TECHNOLOGY_VERIFICATION = "technology_verification"


class ContributionKind(StrEnum):
    """What a partner brings: a station element, a launch, or money."""

    ELEMENT = "element"
    LAUNCH = "launch"
    FUNDING = "funding"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Partner(_Model):
    """A participating agency or organisation.

    ``entitlement`` is its share of utilisation (0-1); leave it out to derive it from
    contributions with :func:`moonbase.science.shares.shares_from_contributions`.
    """

    id: str = Field(min_length=1, max_length=64)
    name: str = ""
    entitlement: float | None = Field(default=None, ge=0.0, le=1.0)


class Contribution(_Model):
    """One contribution of a partner: an element (mass on the surface), a launch, or funding.

    ``value_musd`` is the agreed value in millions of US dollars (or any common unit the
    partners agree on). For elements and launches it may be left out and derived from
    ``mass_kg`` with the rule's price per kilogram.
    """

    partner: str
    kind: ContributionKind
    description: str = ""
    value_musd: float | None = Field(default=None, ge=0.0)
    mass_kg: float | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _needs_a_value(self) -> Contribution:
        if self.value_musd is None and self.mass_kg is None:
            raise ValueError("give value_musd, or mass_kg for an element or launch")
        if self.kind is ContributionKind.FUNDING and self.value_musd is None:
            raise ValueError("a funding contribution needs value_musd")
        return self


class ExperimentRequest(_Model):
    """One experiment a partner asks to run, possibly several times.

    ``duration_h`` is rounded up to whole buckets. ``data_volume_gbit``, ``crew_time_h`` and
    ``robot_time_h`` are totals per run, spread evenly over its buckets; ``power_w``,
    ``mass_kg`` and ``volume_m3`` are held for the whole run. ``windows`` names window series
    of the station (``"sunlit"``, ``"earth_in_view"``, ``"target:crab"`` ...) that must all be
    open during every bucket of a run. ``depends_on`` lists requests whose first run must end
    before this request's first run starts. ``repeats`` runs are made in order, each starting
    at least ``repeat_gap_h`` after the previous one ends. Weighted science value of a run is
    ``value * priority``.
    """

    id: str = Field(min_length=1, max_length=128)
    partner: str
    category: Category
    title: str = ""
    duration_h: float = Field(gt=0.0)
    power_w: float = Field(default=0.0, ge=0.0)
    data_volume_gbit: float = Field(default=0.0, ge=0.0)
    crew_time_h: float = Field(
        default=0.0, ge=0.0, validation_alias=AliasChoices("crew_time_h", "crew_hours")
    )
    robot_time_h: float = Field(
        default=0.0, ge=0.0, validation_alias=AliasChoices("robot_time_h", "robot_hours")
    )
    mass_kg: float = Field(default=0.0, ge=0.0)
    volume_m3: float = Field(default=0.0, ge=0.0)
    windows: tuple[str, ...] = ()
    priority: int = Field(default=3, ge=1, le=5)
    value: float = Field(default=1.0, gt=0.0)
    depends_on: tuple[str, ...] = ()
    repeats: int = Field(default=1, ge=1, le=1000)
    repeat_gap_h: float = Field(default=0.0, ge=0.0)
    #: Mass each run uses up, delivered by the logistics step (not a scheduling resource).
    consumables_kg_per_run: float = Field(default=0.0, ge=0.0)


class StationResources(BaseModel):
    """Per-bucket series of what the station offers to science, plus window calendars.

    Every series has one value per bucket; ``windows`` maps a window name to a boolean series
    (``True`` = open for the whole bucket). ``data_buffer_gbit`` is the onboard storage for
    science data waiting for the downlink (0: each bucket's data go down in that bucket).
    Build one from hourly series with :func:`moonbase.science.adapters.resample_resources`.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    start_utc: str = "2030-01-01T00:00:00"
    bucket_hours: float = Field(default=24.0, gt=0.0)
    power_w: list[float]
    downlink_mbit: list[float]
    crew_time_h: list[float] = Field(validation_alias=AliasChoices("crew_time_h", "crew_h"))
    robot_time_h: list[float] = Field(validation_alias=AliasChoices("robot_time_h", "robot_h"))
    payload_mass_kg: list[float] | None = None
    payload_volume_m3: list[float] | None = None
    data_buffer_gbit: float = Field(default=0.0, ge=0.0)
    windows: dict[str, list[bool]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _same_lengths(self) -> StationResources:
        n = len(self.power_w)
        if n == 0:
            raise ValueError("the resource series are empty; give at least one bucket")
        for name in RESOURCE_NAMES:
            series = getattr(self, name)
            if series is not None and len(series) != n:
                raise ValueError(f"{name} has {len(series)} buckets but power_w has {n}")
            if series is not None and (not np.all(np.isfinite(series)) or min(series) < 0):
                raise ValueError(f"{name} must be finite and non-negative")
        for name, series in self.windows.items():
            if len(series) != n:
                raise ValueError(f"window {name!r} has {len(series)} buckets, expected {n}")
        return self

    @property
    def n_buckets(self) -> int:
        return len(self.power_w)

    def capacity(self, name: str) -> np.ndarray:
        """Capacity series of resource ``name`` (unbounded payload accommodation if not given)."""
        series = getattr(self, name)
        if series is None:
            return np.full(self.n_buckets, np.inf)
        return np.asarray(series, dtype=float)


class SchedulingProblem(_Model):
    """Everything the scheduler needs: partners, requests and the station's offer."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    partners: tuple[Partner, ...]
    requests: tuple[ExperimentRequest, ...]
    resources: StationResources

    @field_validator("partners")
    @classmethod
    def _unique_partners(cls, partners):
        ids = [p.id for p in partners]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate partner ids {duplicates}")
        return partners
