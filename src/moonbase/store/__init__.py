"""Persistence for the partner portal: SQLAlchemy 2 models, engines, migrations and tokens.

SQLite under the data directory by default (WAL, foreign keys on); PostgreSQL (psycopg 3) when
``MOONBASE_DATABASE_URL`` is set. The schema comes from the Alembic migrations shipped in
``moonbase/store/migrations`` and applied by :func:`migrate`.
"""

from moonbase.extras import require_extra

require_extra("server", "moonbase.store")  # one line naming the extra, not a deep ImportError

from moonbase.store.db import database_url, make_engine, make_sessionmaker, migrate  # noqa: E402
from moonbase.store.models import (  # noqa: E402
    ROLES,
    Base,
    DataProduct,
    ExperimentRequest,
    Job,
    Partner,
    Result,
    ScenarioRecord,
    Token,
    TokenPolicy,
)
from moonbase.store.tokens import (  # noqa: E402
    create_token,
    ensure_partner,
    hash_token,
    issue_token,
    lookup_token,
    set_token_policy,
    token_policy,
)

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
    "create_token",
    "database_url",
    "ensure_partner",
    "hash_token",
    "issue_token",
    "lookup_token",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "set_token_policy",
    "token_policy",
]
