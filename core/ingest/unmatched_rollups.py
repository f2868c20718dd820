"""Unmatched usage whose id now maps to a customer, merged into that customer's rollups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlmodel import Session

from core.ingest.late import note_late
from core.ingest.read.aggregate import ROLLUP_KEY, combine
from core.ingest.read.validate import QUANTITY
from core.ingest.rollup_writer import write_rollups
from core.models import UnmatchedUsage


def merge_into_rollups(
    session: Session, rows: Sequence[UnmatchedUsage], aliases: dict[str, int], *, now: datetime
) -> None:
    """Add the rows to their customers' rollups, in the caller's transaction."""
    rollups = _as_rollups(rows, aliases)
    write_rollups(session, rollups)
    note_late(session, rollups, now=now)  # a mapping that came late: its old hours are late


def _as_rollups(rows: Sequence[UnmatchedUsage], aliases: dict[str, int]) -> pl.DataFrame:
    """The rows as rollup aggregates of their customers (several ids may share one)."""
    frame = pl.DataFrame(
        {
            "customer_id": [aliases[row.usage_id] for row in rows],
            "dimension_id": [row.dimension_id for row in rows],
            "hour": [row.hour for row in rows],
            "sum": [row.sum for row in rows],
            "count": [row.count for row in rows],
            "min": [row.min for row in rows],
            "max": [row.max for row in rows],
            "last": [row.last for row in rows],
            "last_at": [row.last_at for row in rows],
        },
        schema={
            "customer_id": pl.Int64,
            "dimension_id": pl.Int64,
            "hour": pl.Datetime("us", "UTC"),
            "sum": QUANTITY,
            "count": pl.Int64,
            "min": QUANTITY,
            "max": QUANTITY,
            "last": QUANTITY,
            "last_at": pl.Datetime("us", "UTC"),
        },
    )
    return combine([frame], list(ROLLUP_KEY))
