"""One result per job; tokens expire and record their revocation; the token policy table.

* ``results.job_id`` gets a unique index: a job stores at most one result. A database written
  before this revision may hold a second result of a job that ran twice; the one the job points
  to (``jobs.result_id``) keeps its ``job_id``, any other is detached (``job_id`` set to NULL),
  so no document is lost.
* ``tokens.expires_at`` (tokens issued before this revision expire 90 days after the upgrade),
  ``tokens.revoked_at`` and ``tokens.revoked_by`` (the revoking token's id).
* ``token_policy``: the default and longest lifetime of new tokens, set by the station planner.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Lifetime left to tokens issued before this revision (days from the upgrade).
GRACE_DAYS = 90


def upgrade() -> None:
    results = sa.table("results", sa.column("id", sa.Integer), sa.column("job_id", sa.Integer))
    jobs = sa.table("jobs", sa.column("id", sa.Integer), sa.column("result_id", sa.Integer))
    kept = sa.select(jobs.c.result_id).where(jobs.c.result_id.is_not(None))
    first = (
        sa.select(sa.func.min(results.c.id))
        .where(results.c.job_id.is_not(None))
        .group_by(results.c.job_id)
    )
    # Keep the result each job points to (or, for a job pointing to none, its first result).
    pointed = sa.select(results.c.job_id).where(results.c.id.in_(kept))
    op.execute(
        results.update()
        .where(results.c.job_id.is_not(None))
        .where(results.c.id.not_in(kept))
        .where(results.c.job_id.in_(pointed) | results.c.id.not_in(first))
        .values(job_id=None)
    )
    op.create_index("ix_results_job_id", "results", ["job_id"], unique=True)

    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.Integer, nullable=True))
    tokens = sa.table("tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=GRACE_DAYS)))
    with op.batch_alter_table("tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table(
        "token_policy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("default_days", sa.Integer, nullable=False),
        sa.Column("max_days", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("token_policy")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("revoked_by")
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    op.drop_index("ix_results_job_id", table_name="results")
