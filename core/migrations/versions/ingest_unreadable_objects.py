"""ingestedobject: failures in a row and retry_after, for parking unreadable objects

Revision ID: ingest_unreadable_objects
Revises: 0003_reconcile_runs
Create Date: 2026-12-03 09:36:34.757973
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.types


revision: str = "ingest_unreadable_objects"
down_revision: str | None = "0003_reconcile_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingestedobject", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("retry_after", core.models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("ingestedobject", schema=None) as batch_op:
        batch_op.drop_column("retry_after")
        batch_op.drop_column("failures")
