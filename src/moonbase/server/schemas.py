"""API schemas: what clients send and receive. Units are in the field names.

Bounds here are the first line of validation (pydantic, 422 with the field's location); the
relations between fields are checked by :func:`moonbase.server.rules.check_request`.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

#: Largest id a client may send (ids are 32-bit integers in PostgreSQL).
MAX_ID = 2_147_483_647
#: Deepest nesting accepted in free-form JSON documents (scenario bodies, job parameters).
MAX_DEPTH = 32
#: Largest list offset a client may send (a 32-bit bound: both databases take it).
MAX_OFFSET = 2_147_483_647


def _storable(text: str) -> str:
    """Text both databases can store: valid UTF-8 (no lone surrogates) and no NUL character."""
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return text


def _storable_json(value: Any, depth: int = 0) -> Any:
    """``value`` if both databases store it alike: no NUL or lone surrogate in text, integers
    within 64 bits, no NaN or infinity (PostgreSQL's JSON has no spelling for them), at most
    :data:`MAX_DEPTH` levels deep."""
    if depth > MAX_DEPTH:
        raise ValueError(f"JSON document nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers in JSON documents must be finite (no NaN or Infinity)")
    if isinstance(value, str):
        _storable(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _storable_json(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
        raise ValueError("integers in JSON documents must fit in 64 bits")
    return value


def _as_utc(value: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back without a zone, so add it."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


#: A UTC time as returned by the API (always with its offset).
Utc = Annotated[datetime, AfterValidator(_as_utc)]

Doc = Annotated[dict[str, Any], AfterValidator(_storable_json)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

RequestStatus = Literal["validated", "scheduled", "unscheduled", "withdrawn"]
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
Role = Literal["member", "partner_admin", "station_planner"]
JobKind = Literal["optimise", "simulate", "schedule"]
#: ILRS purposes of an experiment (the values of :class:`moonbase.science.Category`).
Category = Literal[
    "exploration_and_utilisation",
    "lunar_based_observation",
    "basic_science",
    "technology_verification",
]
PartnerId = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")
]
Text200 = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(_storable),
]
Text100 = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, strip_whitespace=True),
    AfterValidator(_storable),
]
Label = Annotated[str, StringConstraints(max_length=200), AfterValidator(_storable)]
MediaType = Annotated[
    str,
    StringConstraints(min_length=3, max_length=100, pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$"),
]
Content = Annotated[str, StringConstraints(max_length=200_000), AfterValidator(_storable)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error's body: a one-line ``message`` and the ``detail`` items it sums up."""

    message: str
    detail: list[ErrorItem]


class Me(BaseModel):
    partner_id: str
    partner_name: str
    role: Role
    token_prefix: str


class PartnerIn(Strict):
    id: PartnerId
    name: Text200
    entitlement: float = Field(ge=0.0, le=1.0, description="fraction of science time, 0..1")


class PartnerOut(BaseModel):
    id: str
    name: str
    entitlement: float


class TokenIn(Strict):
    role: Role = "member"
    label: Label = ""
    partner_id: PartnerId | None = Field(
        default=None, description="station planners only; default: the caller's partner"
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="lifetime in days; default and maximum: the token policy",
    )


class TokenOut(BaseModel):
    id: int
    partner_id: str
    role: Role
    label: str
    prefix: str
    revoked: bool
    created_at: Utc
    expires_at: Utc
    revoked_at: Utc | None = None
    revoked_by: int | None = None


class TokenPolicyIn(Strict):
    default_days: int = Field(ge=1, le=3650, description="lifetime of a new token, days")
    max_days: int = Field(ge=1, le=3650, description="longest lifetime a token may get, days")


class TokenPolicyOut(BaseModel):
    default_days: int
    max_days: int


class TokenCreated(TokenOut):
    token: str = Field(description="the secret, shown once; store it now")


class ScenarioIn(Strict):
    name: Text200
    body: Doc = Field(description="the scenario document (moonbase.scenario schema)")


class ScenarioSummary(BaseModel):
    id: int
    partner_id: str
    name: str
    created_at: Utc


class ScenarioOut(ScenarioSummary):
    body: dict[str, Any]


class JobIn(Strict):
    kind: JobKind
    scenario_id: Id | None = None
    params: Doc = Field(default_factory=dict)


class JobOut(BaseModel):
    id: int
    partner_id: str
    kind: str
    scenario_id: int | None
    params: dict[str, Any]
    status: str
    progress: float
    message: str
    attempts: int
    cancel_requested: bool
    result_id: int | None
    error: str | None
    created_at: Utc
    updated_at: Utc


class ResultSummary(BaseModel):
    id: int
    kind: str
    job_id: int | None
    scenario_id: int | None
    summary: dict[str, Any]
    created_at: Utc


class ResultOut(ResultSummary):
    body: dict[str, Any]


class RequestIn(Strict):
    title: Text200
    instrument: Text100
    duration_h: float = Field(gt=0.0, le=2000.0, description="run time in hours")
    power_w: float = Field(ge=0.0, le=20000.0, description="mean electrical power, watts")
    data_gb: float = Field(ge=0.0, le=10000.0, description="data volume to downlink, GB")
    earliest: date
    latest: date
    priority: int = Field(default=3, ge=1, le=5, description="1 (highest) to 5")
    needs_sunlight: bool = False
    category: Category = Field(default="basic_science", description="ILRS purpose")


class RequestPatch(Strict):
    title: Text200 | None = None
    instrument: Text100 | None = None
    duration_h: float | None = Field(default=None, gt=0.0, le=2000.0)
    power_w: float | None = Field(default=None, ge=0.0, le=20000.0)
    data_gb: float | None = Field(default=None, ge=0.0, le=10000.0)
    earliest: date | None = None
    latest: date | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    needs_sunlight: bool | None = None
    category: Category | None = None


class RequestOut(BaseModel):
    id: int
    partner_id: str
    title: str
    instrument: str
    duration_h: float
    power_w: float
    data_gb: float
    earliest: date
    latest: date
    priority: int
    needs_sunlight: bool
    category: str
    status: str
    messages: list[Any]
    scheduled_start: Utc | None
    created_at: Utc
    updated_at: Utc


class ProductIn(Strict):
    name: Text200
    media_type: MediaType = "text/csv"
    access: Literal["private", "consortium"] = "consortium"
    embargo_until: date | None = None
    content: Content = ""
    request_id: Id | None = None
    partner_id: PartnerId | None = Field(
        default=None, description="station planners only; default: the caller's partner"
    )


class ProductOut(BaseModel):
    id: int
    partner_id: str
    request_id: int | None
    name: str
    media_type: str
    access: str
    embargo_until: date | None
    embargoed: bool
    size_bytes: int
    created_at: Utc


class ShareOut(BaseModel):
    partner_id: str
    name: str
    entitlement: float
    scheduled_h: float
    share: float


class Health(BaseModel):
    status: str
    database: str
    revision: str
    jobs: dict[str, str]
