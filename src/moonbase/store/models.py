"""Tables of the partner portal: partners, tokens, scenarios, jobs, results, requests, products.

Every row that belongs to a partner carries ``partner_id``; the server's queries filter on it.
Times are timezone-aware UTC. JSON columns hold the library's result documents as plain dicts.
The schema is created by the Alembic migrations in ``moonbase/store/migrations`` (never by
``create_all`` outside tests), so the two must stay in step: ``tests/server`` checks that.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ROLES",
    "Base",
    "DataProduct",
    "ExperimentRequest",
    "Job",
    "Partner",
    "Result",
    "ScenarioRecord",
    "Token",
    "TokenPolicy",
    "utcnow",
]

#: Roles, from least to most privileged. A station planner works for the whole station.
ROLES = ("member", "partner_admin", "station_planner")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """The declarative base of the portal's tables (JSON columns for dicts and lists)."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Partner(Base):
    """A partner of the station (table ``partners``): its id, name and entitled share of science time."""

    __tablename__ = "partners"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Entitled fraction (0..1) of the station's science time, from contributions.
    entitlement: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Token(Base):
    """A partner's access token (table ``tokens``): its role, label and hash; the token itself is never stored."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    #: sha256 hex digest of the token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(12))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The token stops working at this time (UTC); added by migration 0003.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TokenPolicy(Base):
    """How long new tokens live, set by the station planner: one row (id 1)."""

    __tablename__ = "token_policy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    default_days: Mapped[int] = mapped_column(Integer)
    max_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScenarioRecord(Base):
    """A scenario a partner stored (table ``scenarios``), its TOML parsed to a JSON document."""

    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """A long job (table ``jobs``): kind, parameters, status, progress, checkpoint for a resume, and its result."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id"), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: queued, running, done, failed, cancelled
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Result(Base):
    """A finished job's document: a campaign plan, a simulation run or a science schedule."""

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # plan, simulation, schedule
    #: At most one result per job (unique since migration 0003).
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id"), nullable=True, unique=True, index=True
    )
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id"), nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExperimentRequest(Base):
    """An experiment request submitted through the portal (table ``experiment_requests``) and its status."""

    __tablename__ = "experiment_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instrument: Mapped[str] = mapped_column(String(100))
    duration_h: Mapped[float] = mapped_column(Float)
    power_w: Mapped[float] = mapped_column(Float)
    data_gb: Mapped[float] = mapped_column(Float)
    earliest: Mapped[date] = mapped_column(Date)
    latest: Mapped[date] = mapped_column(Date)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    needs_sunlight: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ILRS purpose (:class:`moonbase.science.Category` value); added by migration 0002.
    category: Mapped[str] = mapped_column(
        String(40), default="basic_science", server_default="basic_science"
    )
    #: validated, scheduled, unscheduled, withdrawn
    status: Mapped[str] = mapped_column(String(20), default="validated", index=True)
    messages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scheduled_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("tokens.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataProduct(Base):
    """A data product in the portal's archive (table ``data_products``), with its access rule and embargo."""

    __tablename__ = "data_products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiment_requests.id"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100), default="text/csv")
    #: private (owner partner only) or consortium (every partner once the embargo has passed)
    access: Mapped[str] = mapped_column(String(20), default="consortium")
    embargo_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    content: Mapped[str] = mapped_column(Text, default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
