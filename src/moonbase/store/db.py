"""Engines and sessions: SQLite under the data directory by default, PostgreSQL by URL.

``MOONBASE_DATABASE_URL`` (for example ``postgresql+psycopg://user@127.0.0.1:5432/moonbase``)
overrides the default ``sqlite:///<data_dir>/moonbase.sqlite3``. SQLite connections run in WAL
mode with foreign keys on and a busy timeout, so readers never block the writer and a crash
mid-write leaves the last committed state. :func:`migrate` applies the Alembic migrations shipped
in this package (``moonbase/store/migrations``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from moonbase.errors import InputError

__all__ = [
    "DATABASE_URL_ENV",
    "database_url",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "open_database",
]

DATABASE_URL_ENV = "MOONBASE_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(data_dir: str | os.PathLike[str] | None = None) -> str:
    """The database URL: ``$MOONBASE_DATABASE_URL`` if set, else a SQLite file in ``data_dir``."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    if data_dir is None:
        raise InputError(
            "no database: give a data directory or set the database URL",
            field="--data-dir",
            hint=f"pass --data-dir DIR or set {DATABASE_URL_ENV}",
        )
    folder = Path(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(
            f"{str(folder)!r} is a file, not a folder",
            field="--data-dir",
            hint="give a folder for the database (it is made if missing)",
        ) from None
    except OSError as error:
        raise InputError(
            f"cannot make the folder {str(folder)!r}: {error.strerror}",
            field="--data-dir",
            hint="give a folder you may write to",
        ) from None
    return f"sqlite:///{(folder / 'moonbase.sqlite3').resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss
    cursor.close()


def make_engine(url: str, *, pool: bool = True) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a 30 s busy timeout.

    ``pool=False`` (worker processes) opens one connection per session and closes it after.
    """
    kwargs: dict = {}
    if not pool:
        kwargs["poolclass"] = NullPool
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if pool:  # as many as the server's threads, so connections are not opened per request
            kwargs.update(pool_size=40, max_overflow=20)
    elif pool:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        # pysqlite opens its transaction lazily at the first write, so a read-then-write
        # session takes the write lock (waiting up to the busy timeout) only when it writes.
        event.listen(engine, "connect", _sqlite_pragmas)
        _serialize_writes(engine)
    return engine


def _serialize_writes(engine: Engine, wait_s: float = 30.0) -> None:
    """One writing transaction at a time in this process, queued on a lock.

    SQLite takes one writer at a time; a second one polls for the lock with growing sleeps
    (its busy handler), so under many concurrent writes most of the time goes to sleeping
    writers. Here a connection takes the process's write lock at its first statement that
    is not a read and gives it back at commit, rollback or check-in: writers of this process
    queue on the lock and go in as soon as it is free (other processes, such as job workers,
    still meet SQLite's own lock).
    """
    lock = threading.Lock()

    def take(connection, _cursor, statement, *_args) -> None:
        info = connection.info
        if info.get("writing") or statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA"):
            return
        info["writing"] = lock.acquire(timeout=wait_s)  # else: SQLite's busy timeout decides

    def give(connection, *_args) -> None:
        if connection.info.pop("writing", False):
            lock.release()

    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine, "commit", give)
    event.listen(engine, "rollback", give)
    event.listen(engine.pool, "checkin", lambda _dbapi, record: give(record))
    event.listen(engine.pool, "reset", lambda _dbapi, record, _state: give(record))


def _where(url: str) -> str:
    """``url`` fit to print: the password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unreadable URL: show its scheme only
        return url.split("://", 1)[0] + "://..."


def open_database(url: str) -> Engine:
    """An engine on ``url`` with the schema migrated to ``head``, or a one-line InputError.

    Startup mistakes get a message naming the setting and the fix instead of a traceback: a URL
    that is not a database URL, a PostgreSQL that cannot be reached, a SQLite file that is not
    a database (corrupt or truncated), a database folder that cannot be written.
    """
    from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

    sqlite = url.startswith("sqlite")
    setting = "--data-dir" if sqlite and not os.environ.get(DATABASE_URL_ENV) else DATABASE_URL_ENV
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise InputError(
            f"cannot read {_where(url)!r} as a database URL ({str(error).splitlines()[0]})",
            field=DATABASE_URL_ENV,
            hint="e.g. postgresql://user@127.0.0.1:5432/moonbase, or unset it for SQLite",
        ) from None
    try:
        migrate(engine)
    except OperationalError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        if sqlite:
            raise InputError(
                f"cannot open the database {_where(url)!r}: {reason}",
                field=setting,
                hint="check that the folder exists and may be written",
            ) from None
        raise InputError(
            f"cannot reach the database {_where(url)!r}: {reason}",
            field=setting,
            hint="start the PostgreSQL server, or fix the host, port, user or database name",
        ) from None
    except DatabaseError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise InputError(
            f"{_where(url)!r} is not a readable moonbase database ({reason})",
            field=setting,
            hint="restore the file from a backup, or move it away to start an empty database",
        ) from None
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory on ``engine`` whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine) -> str:
    """Apply the shipped Alembic migrations up to ``head``; return the revision now current."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or ""
