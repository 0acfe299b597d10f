"""The store on its own: SQLite settings, foreign keys, migrations, URLs, token checks."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from moonbase.errors import InputError
from moonbase.store import (
    ExperimentRequest,
    create_token,
    database_url,
    hash_token,
    lookup_token,
    make_engine,
    make_sessionmaker,
    migrate,
)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(database_url(tmp_path))
    assert migrate(engine) == "0003"
    assert migrate(engine) == "0003"  # idempotent: a second start changes nothing
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    names = set(inspect(engine).get_table_names())
    assert {"partners", "tokens", "jobs", "experiment_requests", "alembic_version"} <= names
    sessions = make_sessionmaker(engine)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(
            ExperimentRequest(
                partner_id="NOBODY",
                title="t",
                instrument="i",
                duration_h=1,
                power_w=1,
                data_gb=1,
                earliest=date(2031, 1, 1),
                latest=date(2031, 1, 2),
                priority=3,
                needs_sunlight=False,
                status="validated",
                messages=[],
            )
        )
    engine.dispose()


def test_database_url_prefers_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("MOONBASE_DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{(tmp_path / 'moonbase.sqlite3').resolve()}"
    with pytest.raises(InputError, match="--data-dir"):
        database_url(None)
    monkeypatch.setenv("MOONBASE_DATABASE_URL", "postgresql://u@127.0.0.1:5/db")
    assert database_url(tmp_path) == "postgresql+psycopg://u@127.0.0.1:5/db"


def test_tokens_are_random_hashed_and_checked(tmp_path):
    engine = make_engine(database_url(tmp_path))
    migrate(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        tokens = {create_token(session, "CNSA", "member") for _ in range(20)}
    assert len(tokens) == 20  # 256 random bits each: no repeats
    # The digest is plain SHA-256 of the UTF-8 token (checked against hashlib directly).
    token = next(iter(tokens))
    assert hash_token(token) == hashlib.sha256(token.encode("utf-8")).hexdigest()
    with sessions() as session:
        assert lookup_token(session, token).partner_id == "CNSA"
        assert lookup_token(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert lookup_token(session, "") is None and lookup_token(session, "x" * 5000) is None
    with pytest.raises(InputError, match="unknown role"), sessions.begin() as session:
        create_token(session, "CNSA", "emperor")
    engine.dispose()
