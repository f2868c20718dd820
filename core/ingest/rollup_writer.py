"""Merging per-object aggregates into HourlyRollup and UnmatchedUsage, exactly.

Decimals are text on SQLite, so the merge is done in Python with Decimal: keys
that are new are inserted whole (ON CONFLICT DO NOTHING ... RETURNING says which);
the others are locked (SELECT ... FOR UPDATE, in key order, so concurrent workers
on PostgreSQL cannot deadlock), merged and updated in bulk. The caller owns the
transaction; the object's done mark commits with these rows or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from core.ingest.records import batched
from core.models import HourlyRollup, UnmatchedUsage

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BATCH = 500
ROLLUP_KEY = ("customer_id", "dimension_id", "hour")
UNMATCHED_KEY = ("usage_id", "dimension_id", "hour")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Delta:
    """Aggregates of some records for one key."""

    sum: Decimal
    count: int
    min: Decimal | None
    max: Decimal | None
    last: Decimal | None
    last_at: datetime | None


def merged(old: Delta, new: Delta) -> Delta:
    """`old` and `new` as if all their records had been aggregated together."""
    later = old.last_at is None or (new.last_at is not None and new.last_at > old.last_at)
    return Delta(
        sum=old.sum + new.sum,
        count=old.count + new.count,
        min=_pick(min, old.min, new.min),
        max=_pick(max, old.max, new.max),
        last=new.last if later else old.last,
        last_at=new.last_at if later else old.last_at,
    )


def _pick(choose: Any, a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return b if a is None else a if b is None else choose(a, b)


def frame_deltas(frame: pl.DataFrame, keys: Sequence[str]) -> dict[Key, Delta]:
    """Aggregate rows (see aggregate.py) as {key: Delta}; hours and times in UTC."""
    text = frame.select(
        *[pl.col(k).dt.epoch("us") if k == "hour" else pl.col(k) for k in keys],
        pl.col("sum", "min", "max", "last").cast(pl.String),
        pl.col("count"),
        pl.col("last_at").dt.epoch("us"),
    )
    hour_at = list(keys).index("hour")
    deltas = {}
    for row in text.iter_rows():
        key = list(row[: len(keys)])
        key[hour_at] = _utc(key[hour_at])
        total, low, high, last, count, last_at = row[len(keys) :]
        deltas[tuple(key)] = Delta(
            Decimal(total), count, Decimal(low), Decimal(high), Decimal(last), _utc(last_at)
        )
    return deltas


def _utc(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def write_rollups(session: Session, deltas: dict[Key, Delta]) -> None:
    _upsert(session, HourlyRollup.__table__, ROLLUP_KEY, deltas)  # type: ignore[attr-defined]


def write_unmatched(session: Session, deltas: dict[Key, Delta]) -> None:
    _upsert(session, UnmatchedUsage.__table__, UNMATCHED_KEY, deltas)  # type: ignore[attr-defined]


def _upsert(session: Session, table: Table, keys: Sequence[str], deltas: dict[Key, Delta]) -> None:
    ordered = sorted(deltas)
    if session.get_bind().dialect.name == "sqlite":
        inserted = _insert_new_sqlite(session, table, keys, ordered, deltas)
    else:
        inserted = _insert_new(session, table, keys, ordered, deltas)
    existing = [key for key in ordered if key not in inserted]
    for batch in batched(existing, _BATCH):
        updates = [_update_row(row, keys, deltas) for row in _locked(session, table, keys, batch)]
        if updates:
            session.execute(_update_statement(table), updates)


def _insert_new(
    session: Session,
    table: Table,
    keys: Sequence[str],
    ordered: list[Key],
    deltas: dict[Key, Delta],
) -> set[Key]:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    columns = [table.c[k] for k in keys]
    statement = insert(table).on_conflict_do_nothing(index_elements=list(keys)).returning(*columns)
    inserted: set[Key] = set()
    for batch in batched(ordered, _BATCH * 4):
        rows = [dict(zip(keys, key, strict=True)) | vars(deltas[key]) for key in batch]
        inserted |= {_key(row) for row in session.execute(statement, rows)}
    return inserted


def _insert_new_sqlite(
    session: Session,
    table: Table,
    keys: Sequence[str],
    ordered: list[Key],
    deltas: dict[Key, Delta],
) -> set[Key]:
    """SQLite has one writer, and this transaction already holds the write lock (its done
    mark came first): keys absent now stay absent until commit, so a plain bulk insert
    of them is safe, and much faster than INSERT ... RETURNING row by row."""
    hours = [key[-1] for key in ordered]
    if not hours:
        return set()
    present = session.execute(
        select(*[table.c[k] for k in keys]).where(table.c.hour.between(min(hours), max(hours)))
    )
    existing = {_key(row) for row in present}
    new = [key for key in ordered if key not in existing]
    if new:
        rows = [dict(zip(keys, key, strict=True)) | vars(deltas[key]) for key in new]
        session.execute(table.insert(), rows)
    return set(new)


def _key(row: Any) -> Key:
    return tuple(value.astimezone(UTC) if isinstance(value, datetime) else value for value in row)


def _locked(
    session: Session, table: Table, keys: Sequence[str], batch: Sequence[Key]
) -> Iterator[Any]:
    columns = [table.c[k] for k in keys]
    query = select(table).where(tuple_(*columns).in_(batch)).order_by(*columns).with_for_update()
    return iter(session.execute(query).mappings().all())


def _update_row(row: Any, keys: Sequence[str], deltas: dict[Key, Delta]) -> dict[str, Any]:
    new = deltas[_key(tuple(row[k] for k in keys))]
    # An unmatched row already moved to a customer starts over with the new usage.
    reopened = row.get("resolved_customer_id") is not None
    old = Delta(row["sum"], row["count"], row["min"], row["max"], row["last"], row["last_at"])
    values = vars(new) if reopened else vars(merged(old, new))
    return {"b_id": row["id"], **{f"b_{name}": value for name, value in values.items()}}


def _update_statement(table: Table) -> Any:
    names = vars(Delta(Decimal(0), 0, *[None] * 4))
    values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in names}
    if "resolved_customer_id" in table.c:
        values |= {"resolved_customer_id": None, "resolved_at": None}
    return update(table).where(table.c.id == bindparam("b_id")).values(values)
