"""Alembic environment: runs on the connection :func:`moonbase.store.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from moonbase.store.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:  # pragma: no cover - command-line use with sqlalchemy.url set
        with create_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _run(conn)
            conn.commit()


try:
    context.config  # noqa: B018 - only set while Alembic runs this file
except (
    NameError,
    AttributeError,
):  # imported by a test collector or a documentation tool: nothing to do
    pass
else:
    main()
