"""Merging per-object aggregates into HourlyRollup and UnmatchedUsage, exactly.

Aggregates arrive as Polars frames (Decimal(38, 12) sums: 128-bit integers, so
exact). On PostgreSQL one INSERT ... ON CONFLICT DO UPDATE merges them all, in key
order (so concurrent workers cannot deadlock), the database adding NUMERICs
exactly. On SQLite keys the table lacks are inserted whole; rows that exist are
read back, merged with the new aggregates in Polars with exact decimal
arithmetic, and updated in bulk. The caller owns the transaction: the object's done mark commits
with these rows or not at all. The SQL for each database is in rollup_sql.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlmodel import Session

from core.ingest import rollup_sql
from core.ingest.failures import MissingReference
from core.ingest.rollup_tables import BY_USAGE_ID, ROLLUPS, UNMATCHED, VALUES, Target


def write_rollups(session: Session, frame: pl.DataFrame | None) -> None:
    _write(session, ROLLUPS, frame)


def write_unmatched(session: Session, frame: pl.DataFrame | None) -> None:
    _write(session, UNMATCHED, frame)


def write_by_usage_id(session: Session, frame: pl.DataFrame | None) -> None:
    """Rollups per usage id of customers with several (see core/ingest/usage_ids.py)."""
    _write(session, BY_USAGE_ID, frame)


def _write(session: Session, target: Target, frame: pl.DataFrame | None) -> None:
    if frame is None or frame.is_empty():
        return
    frame = frame.select(*target.keys, *VALUES).sort(target.keys)
    check_references(session, target, frame)
    if session.get_bind().dialect.name == "postgresql":
        rollup_sql.pg_upsert(session, target, frame)
        return
    stored = rollup_sql.insert_new_lock_rest(session, target, frame)
    if not stored.is_empty():
        rollup_sql.update_rows(
            session, target, merge_frames(stored, frame, target.keys, target.reopens)
        )


def check_references(session: Session, target: Target, frame: pl.DataFrame) -> None:
    """What a foreign key would check row by row, once for the whole batch: every
    customer and dimension id the rows name exists. On PostgreSQL those rows are also
    locked (FOR KEY SHARE, as a foreign key's check locks them) until commit, so none
    can be deleted under the batch; on SQLite the transaction holds the write lock."""
    for column, table in target.references:
        wanted = frame[column].unique().to_list()
        missing = set(wanted) - rollup_sql.existing_ids(session, table, wanted)
        if missing:
            shown = ", ".join(str(i) for i in sorted(missing, key=str)[:10])
            raise MissingReference(f"{target.table}: no {table} has the id {shown}")


def merge_frames(
    stored: pl.DataFrame, new: pl.DataFrame, keys: Sequence[str], reopens: bool = False
) -> pl.DataFrame:
    """Stored rows (with `id`) merged with new aggregates of the same keys: `id` + VALUES.

    `last` follows the later `last_at`; on a tie the new one wins (the record read last,
    as within an object)."""
    joined = stored.join(new, on=list(keys), how="inner", suffix="_new")
    later = pl.col("last_at").is_null() | (pl.col("last_at_new") >= pl.col("last_at"))
    merged = {
        "sum": pl.col("sum") + pl.col("sum_new"),
        "count": pl.col("count") + pl.col("count_new"),
        "min": pl.min_horizontal("min", "min_new"),
        "max": pl.max_horizontal("max", "max_new"),
        "last": pl.when(later).then(pl.col("last_new")).otherwise(pl.col("last")),
        "last_at": pl.when(later).then(pl.col("last_at_new")).otherwise(pl.col("last_at")),
    }
    if reopens:
        reopened = pl.col("resolved_customer_id").is_not_null()
        merged = {
            name: pl.when(reopened).then(pl.col(f"{name}_new")).otherwise(expr)
            for name, expr in merged.items()
        }
    return joined.select("id", *(expr.alias(name) for name, expr in merged.items()))
