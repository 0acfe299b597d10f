"""The study file: a base scenario, the plan's date and seed, options, variants and what-ifs.

A study file is TOML validated by strict pydantic models, like a scenario::

    name = "Surface or orbit"
    base = "ilrs-reference"        # a built-in scenario, or a scenario file (relative to this file)
    as_of = 2026-12-03
    seed = 0

    [options]
    risk_runs = 500
    campaign_time_limit_s = 20.0

    [pareto]
    x = "basic_model_operating"
    y = "science_value"

    [[variants]]
    name = "shackleton-rim"
    site = { name = "Shackleton rim", latitude_deg = -89.9, longitude_deg = 200.0 }

    [[what_if.withdraw]]
    partner = "ROSCOSMOS"
    from = 2030-01-01

A variant is a named set of declarative changes to the base (:class:`Variant`; applied by
:func:`moonbase.study.changes.apply_variant`). Each variant is checked on its own: a variant with
an unknown key, or whose changed scenario does not validate, fails with a one-line reason naming
the file, the variant and the field, and the other variants still run.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "FIGURE_NAMES",
    "Joining",
    "Pareto",
    "StudyFile",
    "StudyOptions",
    "Variant",
    "WhatIf",
    "Withdrawal",
]

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", min_length=1, max_length=64)
]

FigureName = Literal[
    "basic_model_operating",
    "p_basic_model_by_target",
    "landed_mass_kg",
    "node_mass_kg",
    "min_survival_margin_h",
    "science_value",
    "science_runs",
    "cost_musd",
    "lit_percent",
]
#: The figures of a variant that a Pareto plot may put on its axes (:mod:`moonbase.study.figures`).
FIGURE_NAMES = get_args(FigureName)


class _Model(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )


class StudyOptions(_Model):
    """How each variant's plan is made (:func:`moonbase.plan`'s arguments) and on what terrain.

    ``terrain``: ``"packaged"`` (the packaged LOLA-derived DEM, with the global far field when
    ``far_field``), ``"synthetic"`` (the documented synthetic terrain, for tests and demos) or a
    DEM file (relative to the study file). ``survey_days`` and ``n_azimuths`` are the site
    stage's survey span and horizon azimuths (:func:`moonbase.site.stage.choose_site`; shorter and
    coarser only for quick looks).
    """

    risk_runs: Annotated[int, Field(ge=1)] = 2_000
    campaign_time_limit_s: Annotated[float, Field(gt=0)] = 30.0
    science_time_limit_s: Annotated[float, Field(gt=0)] = 15.0
    replan_time_limit_s: Annotated[float, Field(gt=0)] = 10.0
    closure_iterations: Annotated[int, Field(ge=0)] = 5
    terrain: Annotated[str, StringConstraints(min_length=1)] = "packaged"
    far_field: bool = True
    survey_days: Annotated[int, Field(ge=1, le=3660)] = 365
    n_azimuths: Annotated[int, Field(ge=8, le=3600)] = 360


class Pareto(_Model):
    """The two figures of the study's Pareto plot (each better when lower or higher, by kind)."""

    x: FigureName = "basic_model_operating"
    y: FigureName = "science_value"


class Withdrawal(_Model):
    """A partner withdraws from a date (default: the study's ``as_of``).

    From that date its elements and launches vanish: its elements not flown before it are
    removed (a planned element stays only if its ``latest_launch`` is before the date), its
    launchers are not available from it, its experiments leave the programme and its
    contributions without elements left (or without elements at all: money, ground stations)
    are dropped. Elements of other partners lose their ``requires`` on removed elements;
    experiments hosted by removed elements are removed.
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", validate_default=True, populate_by_name=True
    )

    partner: Identifier
    from_date: date | None = Field(default=None, alias="from")
    name: Identifier | None = None


class Joining(_Model):
    """A partner joins with a contribution: ``partner`` is a ``[[partners]]`` table (its
    ``contributions`` say what it gives: an element, a launch, a ground station, money with
    ``value_musd``); ``elements``, ``launchers`` and ``experiments`` are its new tables."""

    partner: dict[str, Any]
    elements: list[dict[str, Any]] = Field(default_factory=list)
    launchers: list[dict[str, Any]] = Field(default_factory=list)
    experiments: list[dict[str, Any]] = Field(default_factory=list)
    name: Identifier | None = None


class WhatIf(_Model):
    """Partner what-ifs: each withdrawal and joining becomes a variant compared, partner by
    partner, with ``baseline`` (a variant of that name, else the unchanged base)."""

    baseline: Identifier = "baseline"
    withdraw: list[Withdrawal] = Field(default_factory=list)
    join: list[Joining] = Field(default_factory=list)


class Variant(_Model):
    """A named set of changes to the base scenario, applied in this order:

    1. ``base``: start from another scenario (a built-in name or a file) instead of the study's;
    2. ``station``: ``"surface"`` (drop ``[orbit]`` and the node's elements), ``"orbit"`` (drop
       ``[site]`` and the elements at the site) or ``"both"`` (keep both; both must be there);
    3. ``site``, ``orbit``, ``campaign``, ``policies``: keys of those tables to set (an
       ``orbit`` table where the base has none must be complete);
    4. ``drop_partners`` (with their elements, launchers and experiments), ``drop_launchers``,
       ``drop_elements``, ``drop_experiments``: references to what is dropped go with it;
    5. ``partners``, ``launchers``, ``elements``, ``experiments``: ``{id = {key = value}}``
       changes to existing items (e.g. an element's ``power_produced_w``);
    6. ``add_partners``, ``add_launchers``, ``add_elements``, ``add_experiments``: new items;
    7. ``withdraw`` and ``join``: a partner what-if (:class:`Withdrawal`, :class:`Joining`).
    """

    name: Identifier
    description: str = ""
    base: Annotated[str, StringConstraints(min_length=1)] | None = None
    station: Literal["surface", "orbit", "both"] | None = None
    site: dict[str, Any] | None = None
    orbit: dict[str, Any] | None = None
    campaign: dict[str, Any] | None = None
    policies: dict[str, Any] | None = None
    partners: dict[str, dict[str, Any]] = Field(default_factory=dict)
    launchers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    elements: dict[str, dict[str, Any]] = Field(default_factory=dict)
    experiments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    add_partners: list[dict[str, Any]] = Field(default_factory=list)
    add_launchers: list[dict[str, Any]] = Field(default_factory=list)
    add_elements: list[dict[str, Any]] = Field(default_factory=list)
    add_experiments: list[dict[str, Any]] = Field(default_factory=list)
    drop_partners: list[Identifier] = Field(default_factory=list)
    drop_launchers: list[Identifier] = Field(default_factory=list)
    drop_elements: list[Identifier] = Field(default_factory=list)
    drop_experiments: list[Identifier] = Field(default_factory=list)
    withdraw: Withdrawal | None = None
    join: Joining | None = None


class StudyFile(_Model):
    """The top level of a study file; ``variants`` are checked one by one (:class:`Variant`)."""

    schema_version: Literal[1] = 1
    name: Annotated[str, StringConstraints(min_length=1)]
    description: str = ""
    base: Annotated[str, StringConstraints(min_length=1)]
    as_of: date
    seed: Annotated[int, Field(ge=0)] = 0
    options: StudyOptions = Field(default_factory=StudyOptions)
    pareto: Pareto = Field(default_factory=Pareto)
    variants: list[Any] = Field(default_factory=list)
    what_if: WhatIf | None = None
