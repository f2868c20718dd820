"""rollups: no foreign keys on customer and dimension ids; the writer checks them a batch at once

PostgreSQL checked each key row by row, about half the cost of ingestion's rollup
writes; core.ingest.rollup_writer.check_references checks (and locks) the ids a batch
names with one query per table instead. unmatchedusage keeps the key on
resolved_customer_id: ingestion writes it as NULL, which costs no check.

Revision ID: rollup_references_per_batch
Revises: ingest_unreadable_objects
Create Date: 2026-12-03 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "rollup_references_per_batch"
down_revision: str | None = "ingest_unreadable_objects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = {
    "hourlyrollup": ("customer_id", "dimension_id"),
    "usageidrollup": ("customer_id", "dimension_id"),
    "unmatchedusage": ("dimension_id",),
}
_REFERS = {"customer_id": "customer", "dimension_id": "dimension"}
# PostgreSQL's own names for these keys; SQLite's (unnamed) are given them to be dropped.
_NAMES = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def upgrade() -> None:
    for table, columns in _KEYS.items():
        with op.batch_alter_table(table, naming_convention=_NAMES) as batch_op:
            for column in columns:
                batch_op.drop_constraint(f"{table}_{column}_fkey", type_="foreignkey")


def downgrade() -> None:
    for table, columns in _KEYS.items():
        with op.batch_alter_table(table, naming_convention=_NAMES) as batch_op:
            for column in columns:
                batch_op.create_foreign_key(
                    f"{table}_{column}_fkey", _REFERS[column], [column], ["id"]
                )
