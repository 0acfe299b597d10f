"""Experiment requests carry their ILRS purpose (category), for the science scheduler.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing requests get the default purpose; the server default keeps the column NOT NULL.
    op.add_column(
        "experiment_requests",
        sa.Column("category", sa.String(40), nullable=False, server_default="basic_science"),
    )


def downgrade() -> None:
    with op.batch_alter_table("experiment_requests") as batch:
        batch.drop_column("category")
