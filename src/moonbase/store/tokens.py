"""Partner API tokens: random, shown once, stored only as a sha256 digest.

A token looks like ``mb_<43 url-safe characters>`` (256 random bits). Lookup is by digest (an
indexed column), and the digest found is compared again with :func:`hmac.compare_digest`, so
the check does not leak timing about how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from moonbase.errors import InputError
from moonbase.store.models import ROLES, Partner, Token

__all__ = [
    "create_token",
    "ensure_partner",
    "hash_token",
    "issue_token",
    "lookup_token",
    "new_token",
]

PREFIX = "mb_"


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


def create_token(session: Session, partner_id: str, role: str, *, label: str = "") -> str:
    """Create a token for ``partner_id`` with ``role``; return the clear token (shown once)."""
    return issue_token(session, partner_id, role, label=label)[1]


def issue_token(
    session: Session, partner_id: str, role: str, *, label: str = ""
) -> tuple[Token, str]:
    """Like :func:`create_token`, returning the new row as well as the clear token."""
    if role not in ROLES:
        raise InputError(
            f"unknown role {role!r}", field="role", hint=f"choose one of {', '.join(ROLES)}"
        )
    ensure_partner(session, partner_id)
    token = new_token()
    row = Token(
        partner_id=partner_id,
        role=role,
        label=label,
        token_hash=hash_token(token),
        prefix=token[:8],
        revoked=False,
    )
    session.add(row)
    session.flush()
    return row, token


def lookup_token(session: Session, token: str) -> Token | None:
    """The live token row matching ``token``, or None."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    row = session.scalars(select(Token).where(Token.token_hash == digest)).first()
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row
