"""Usage that arrives for hours Marketplace no longer takes: noted, counted and said.

Ingestion accepts records up to 62 days old, but Marketplace takes a record only up to
24 hours old (and a month's records only until 06:00 UTC on the next month's first day).
Each such hour is noted on `LateUsage` in the same transaction as its rollups, so the
next submission pass finds it however old it is, and the pass's summary says how much
arrived late, for whom and for which hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import polars as pl
from sqlmodel import Session, col, select

from core.formatting import quantity
from core.ingest.rollup_sql import insert_frame
from core.marketplace.window import earliest_open_hour
from core.models import Aggregation, Customer, Dimension, LateOutcome, LateUsage
from core.periods import hour_list

WHAT_HAPPENS = {
    "carry": "the next submission carries it into the next open hour",
    "report": "not billed (METERBOT_LATE_USAGE=report)",
}


def late_part(rollups: pl.DataFrame | None, now: datetime) -> pl.DataFrame | None:
    """The rows of an object's rollups for hours Marketplace no longer takes at `now`."""
    if rollups is None or not rollups.height:
        return None
    earliest = earliest_open_hour(now)
    if rollups["hour"].min() >= earliest:  # type: ignore[operator]
        return None  # the common case, without a filter
    late = rollups.filter(_before(earliest))
    return late if late.height else None


@lru_cache(maxsize=4)
def _before(earliest: datetime) -> pl.Expr:
    # Polars takes a quarter of a millisecond to make a time-zoned datetime literal.
    return pl.col("hour") < earliest


def note_late(session: Session, rollups: pl.DataFrame | None, *, now: datetime) -> None:
    """Note each late (customer, dimension, hour) for the next submission pass."""
    late = late_part(rollups, now)
    if late is None:
        return
    # A backlog caught up may note tens of thousands of hours: inserted in bulk.
    found = late.select("customer_id", "dimension_id", "hour").unique(maintain_order=True)
    found = found.with_columns(
        units=pl.lit("0"),
        billable=pl.lit("0"),
        outcome=pl.lit(LateOutcome.FOUND.value),
        found_at=pl.lit(now),
    )
    insert_frame(session, LateUsage.__table__.name, found)  # type: ignore[attr-defined]


@dataclass
class _Found:
    hours: set[datetime] = field(default_factory=set)
    sum: Decimal = Decimal(0)
    count: int = 0


_FEW_ROWS = 64  # compared in Python; a larger object's rollups are filtered first


@dataclass
class LateFound:
    """Late usage counted in one ingestion pass, per (customer id, dimension id)."""

    by_pair: dict[tuple[int, int], _Found] = field(default_factory=lambda: defaultdict(_Found))

    def add(self, rollups: pl.DataFrame | None, now: datetime) -> None:
        """Runs on the pass's own thread for each object counted: a Polars query started
        here queues behind the reads', which would cost a backlog of many small objects
        seconds, so a small object's few rows are compared in Python instead."""
        earliest = earliest_open_hour(now)
        if rollups is None or not rollups.height:
            return
        if rollups["hour"].min() >= earliest:  # type: ignore[operator]
            return  # the common case: no hour of it is late
        if rollups.height > _FEW_ROWS:
            rollups = rollups.filter(_before(earliest))
        for row in rollups.iter_rows(named=True):
            if row["hour"] >= earliest:
                continue
            found = self.by_pair[(row["customer_id"], row["dimension_id"])]
            found.hours.add(row["hour"])
            found.sum += row["sum"]
            found.count += row["count"]

    def __bool__(self) -> bool:
        return bool(self.by_pair)

    @property
    def hours(self) -> int:
        return sum(len(found.hours) for found in self.by_pair.values())

    def lines(self, session: Session, *, mode: str) -> list[str]:
        """One line per customer and dimension: how much, which hours, what happens."""
        ids = {c for c, _ in self.by_pair}
        query = select(Customer.id, Customer.name).where(col(Customer.id).in_(ids))
        names = dict(session.exec(query).all())
        dimensions = {d.id: d for d in session.exec(select(Dimension))}
        lines = []
        for (customer_id, dimension_id), found in sorted(self.by_pair.items()):
            dimension = dimensions[dimension_id]
            lines.append(
                f"late usage, {names.get(customer_id, customer_id)} {dimension.key}: "
                f"{_amount(found, dimension)} for {hour_list(found.hours)}, older than "
                f"Marketplace takes: {WHAT_HAPPENS.get(mode, WHAT_HAPPENS['carry'])}"
            )
        return lines


def _amount(found: _Found, dimension: Dimension) -> str:
    if dimension.aggregation == Aggregation.COUNT:
        return f"{found.count:,} records"
    if dimension.aggregation == Aggregation.SUM:
        units = quantity(found.sum * dimension.unit_scale, grouped=True)
        return f"{units} {dimension.unit}".rstrip()
    return f"{found.count:,} readings"
