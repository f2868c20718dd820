"""Usage that arrives for hours Marketplace no longer takes: noted, counted and said.

Ingestion accepts records up to 62 days old, but Marketplace takes a record only up to
24 hours old (and a month's records only until 06:00 UTC on the next month's first day).
Each such hour is noted on `LateUsage` in the same transaction as its rollups, so the
next submission pass finds it however old it is, and the pass's summary says how much
arrived late, for whom and for which hours.
"""

from __future__ import annotations

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


_FEW_ROWS = 64  # kept whole and filtered with the rest; a larger object is filtered first
_KEPT = ["customer_id", "dimension_id", "hour", "sum", "count"]


@dataclass
class LateFound:
    """Late usage counted in one ingestion pass: the rollup rows of hours Marketplace no
    longer takes, kept as frames and totalled per (customer id, dimension id) once, when
    the pass is said. Rows turned into Python one by one cost a backlog's pass seconds
    (2,500 late pairs in one hour-sliced object: a quarter of a second)."""

    # Per earliest open hour, the parts kept: an object's hours are late as of the time
    # its commit noted them (note_late), and a pass's clock may cross an hour.
    _parts: dict[datetime, list[pl.DataFrame]] = field(default_factory=dict)
    _totals: pl.DataFrame | None = None  # the parts totalled, until the next add

    def add(self, rollups: pl.DataFrame | None, now: datetime) -> None:
        """`now` is the time the object's commit was given. Runs on the pass's own
        thread for each object counted: a Polars query started here queues behind the
        reads', which would cost a backlog of many small objects seconds, so a small
        object with a late hour is kept whole, filtered at the end."""
        if rollups is None or not rollups.height:
            return
        earliest = earliest_open_hour(now)
        if rollups["hour"].min() >= earliest:  # type: ignore[operator]
            return  # the common case: no hour of it is late
        if rollups.height > _FEW_ROWS:
            rollups = rollups.filter(_before(earliest))
        self._parts.setdefault(earliest, []).append(rollups[_KEPT])
        self._totals = None

    def __bool__(self) -> bool:
        return bool(self._parts)  # a part is kept only with a late hour in it

    @property
    def hours(self) -> int:
        """(customer, dimension, hour) noted late."""
        return int(self.totals()["hour"].list.len().sum()) if self else 0

    @property
    def pairs(self) -> int:
        return self.totals().height if self else 0

    def totals(self) -> pl.DataFrame:
        """Per (customer id, dimension id), in that order: its late hours, sum and count."""
        if self._totals is None:
            assert self._parts, "totals of a pass with no late usage"
            late = pl.concat(
                pl.concat(parts).filter(_before(earliest))
                for earliest, parts in self._parts.items()
            )
            self._totals = (
                late.group_by("customer_id", "dimension_id")
                .agg(pl.col("hour").unique(), pl.col("sum").sum(), pl.col("count").sum())
                .sort("customer_id", "dimension_id")
            )
        return self._totals

    def lines(self, session: Session, *, mode: str, limit: int) -> list[str]:
        """A line for each of the first `limit` pairs (customer, dimension): how much,
        which hours, what happens. Only those are named: a backlog caught up may hold
        thousands of pairs."""
        shown = self.totals().head(limit).rows(named=True) if self else []
        ids = {row["customer_id"] for row in shown}
        query = select(Customer.id, Customer.name).where(col(Customer.id).in_(ids))
        names = dict(session.exec(query).all())
        dimensions = {d.id: d for d in session.exec(select(Dimension))}
        lines = []
        for row in shown:
            dimension = dimensions[row["dimension_id"]]
            lines.append(
                f"late usage, {names.get(row['customer_id'], row['customer_id'])} "
                f"{dimension.key}: {_amount(row['sum'], row['count'], dimension)} for "
                f"{hour_list(row['hour'])}, older than Marketplace takes: "
                f"{WHAT_HAPPENS.get(mode, WHAT_HAPPENS['carry'])}"
            )
        return lines


def _amount(total: Decimal, count: int, dimension: Dimension) -> str:
    if dimension.aggregation == Aggregation.COUNT:
        return f"{count:,} records"
    if dimension.aggregation == Aggregation.SUM:
        units = quantity(total * dimension.unit_scale, grouped=True)
        return f"{units} {dimension.unit}".rstrip()
    return f"{count:,} readings"
