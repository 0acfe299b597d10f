"""Partner API tokens: random, shown once, stored only as a sha256 digest.

A token looks like ``mb_<43 url-safe characters>`` (256 random bits). Lookup is by digest (an
indexed column), and the digest found is compared again with :func:`hmac.compare_digest`, so
the check does not leak timing about how much of a guess was right.

Every token expires: ``expires_in_days`` when issued, else the policy's default, never more than
the policy's maximum (:func:`token_policy`: :data:`DEFAULT_DAYS` and :data:`MAX_DAYS` until the
station planner sets them). A revoked or expired token is refused like an unknown one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from moonbase.errors import InputError
from moonbase.store.models import ROLES, Partner, Token, TokenPolicy, utcnow

__all__ = [
    "create_token",
    "ensure_partner",
    "hash_token",
    "issue_token",
    "lookup_token",
    "new_token",
    "set_token_policy",
    "token_policy",
]

PREFIX = "mb_"
#: Lifetime of a new token, in days, until the station planner sets a policy.
DEFAULT_DAYS = 90
#: Longest lifetime a token may be given, in days, until the station planner sets a policy.
MAX_DAYS = 365
#: The longest lifetime any policy may allow (ten years).
POLICY_LIMIT_DAYS = 3650


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of ``token``: what the ``tokens`` table stores and looks up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_partner(
    session: Session, partner_id: str, *, name: str | None = None, entitlement: float | None = None
) -> Partner:
    """The partner row ``partner_id``, created when missing (entitlement 0 unless given)."""
    if not partner_id or len(partner_id) > 40 or not partner_id.replace("-", "").isalnum():
        raise InputError(
            f"partner id {partner_id!r} is not 1-40 letters, digits or '-'",
            field="partner",
            hint="use the partner's short id, e.g. CNSA",
        )
    partner = session.get(Partner, partner_id)
    if partner is None:
        partner = Partner(id=partner_id, name=name or partner_id, entitlement=entitlement or 0.0)
        session.add(partner)
    else:
        if name:
            partner.name = name
        if entitlement is not None:
            partner.entitlement = entitlement
    if not 0.0 <= partner.entitlement <= 1.0:
        raise InputError(
            f"entitlement {partner.entitlement} is outside 0..1",
            field="entitlement",
            hint="give the partner's fraction of science time, e.g. 0.25",
        )
    return partner


def token_policy(session: Session) -> tuple[int, int]:
    """``(default_days, max_days)`` of new tokens: the planner's policy, else the built-ins."""
    row = session.get(TokenPolicy, 1)
    return (DEFAULT_DAYS, MAX_DAYS) if row is None else (row.default_days, row.max_days)


def set_token_policy(session: Session, default_days: int, max_days: int) -> TokenPolicy:
    """Set the lifetime of new tokens: ``default_days`` <= ``max_days`` <= ten years."""
    if not 1 <= default_days <= max_days <= POLICY_LIMIT_DAYS:
        raise InputError(
            f"default {default_days} d and maximum {max_days} d do not satisfy "
            f"1 <= default <= maximum <= {POLICY_LIMIT_DAYS}",
            field="default_days",
            hint="e.g. a default of 90 days and a maximum of 365",
        )
    row = session.get(TokenPolicy, 1)
    if row is None:
        row = TokenPolicy(id=1, default_days=default_days, max_days=max_days)
        session.add(row)
    row.default_days, row.max_days, row.updated_at = default_days, max_days, utcnow()
    return row


def create_token(
    session: Session,
    partner_id: str,
    role: str,
    *,
    label: str = "",
    expires_in_days: int | None = None,
) -> str:
    """Create a token for ``partner_id`` with ``role``; return the clear token (shown once)."""
    return issue_token(session, partner_id, role, label=label, expires_in_days=expires_in_days)[1]


def issue_token(
    session: Session,
    partner_id: str,
    role: str,
    *,
    label: str = "",
    expires_in_days: int | None = None,
) -> tuple[Token, str]:
    """Like :func:`create_token`, returning the new row as well as the clear token."""
    if role not in ROLES:
        raise InputError(
            f"unknown role {role!r}", field="role", hint=f"choose one of {', '.join(ROLES)}"
        )
    default_days, max_days = token_policy(session)
    days = default_days if expires_in_days is None else expires_in_days
    if not 1 <= days <= max_days:
        raise InputError(
            f"a token may live 1 to {max_days} days, not {days}",
            field="expires_in_days",
            hint=f"give at most {max_days} days (the station planner's policy)",
        )
    ensure_partner(session, partner_id)
    token = new_token()
    now = utcnow()
    row = Token(
        partner_id=partner_id,
        role=role,
        label=label,
        token_hash=hash_token(token),
        prefix=token[:8],
        revoked=False,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return row, token


def lookup_token(session: Session, token: str) -> Token | None:
    """The live token row matching ``token`` (not revoked, not expired), or None."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    row = session.scalars(select(Token).where(Token.token_hash == digest)).first()
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, digest):
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite hands times back without their zone; they are UTC
        expires = expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return None
    return row
