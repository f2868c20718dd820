"""The SQL behind rollup_writer, one flavour per database, in bulk.

Values travel as text (decimals as their digits, times as UTC text) so no float is
involved and no per-value Python conversion is needed: Polars formats whole columns.
SQLite has one writer and the transaction already holds the write lock (the done
mark comes first), so keys absent when read stay absent until commit. PostgreSQL
takes the rows by COPY into a temporary staging table and merges them with one
INSERT ... ON CONFLICT DO UPDATE in key order.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, bindparam, text
from sqlmodel import Session

from core.ingest.read.records import batched
from core.ingest.read.validate import QUANTITY
from core.ingest.rollup_tables import Target

_DECIMALS = ("sum", "min", "max", "last")
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S%.6f"  # how SQLAlchemy stores a UTC datetime on SQLite
_PG_TIME = "%Y-%m-%dT%H:%M:%S%.6f+00:00"
_READ_TIME = "%Y-%m-%d %H:%M:%S%.f"
_SQLITE_IN_LIMIT = 5000
_PG_TYPES = {
    "customer_id": "bigint",
    "dimension_id": "bigint",
    "usage_id": "text",
    "hour": "timestamptz",
    "count": "bigint",
    "last_at": "timestamptz",
    **dict.fromkeys(_DECIMALS, "numeric"),
}


def pg_upsert(session: Session, target: Target, frame: pl.DataFrame) -> None:
    """PostgreSQL: merge every row in one INSERT ... ON CONFLICT DO UPDATE, in key order.

    The database adds the sums and counts (NUMERIC: exact) and keeps min, max and the
    later `last` (the new one on a tie, as merge_frames does), so nothing is read back
    into Python. Rows are inserted and locked in key order: two workers touching the
    same hours wait for each other instead of deadlocking."""
    keys = ", ".join(target.keys)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    later = "(t.last_at IS NULL OR EXCLUDED.last_at >= t.last_at)"
    merged = {
        "sum": "t.sum + EXCLUDED.sum",
        "count": "t.count + EXCLUDED.count",
        "min": "LEAST(t.min, EXCLUDED.min)",
        "max": "GREATEST(t.max, EXCLUDED.max)",
        "last": f"CASE WHEN {later} THEN EXCLUDED.last ELSE t.last END",
        "last_at": f"CASE WHEN {later} THEN EXCLUDED.last_at ELSE t.last_at END",
    }
    if target.reopens:  # usage moved to a customer already: start over with the new usage
        reopened = "t.resolved_customer_id IS NOT NULL"
        merged = {
            c: f"CASE WHEN {reopened} THEN EXCLUDED.{c} ELSE {e} END" for c, e in merged.items()
        }
        merged |= {"resolved_customer_id": "NULL", "resolved_at": "NULL"}
    sets = ", ".join(f'"{column}" = {expression}' for column, expression in merged.items())
    staging = _staged(session, target, frame)
    statement = (
        f"INSERT INTO {target.table} AS t ({names}) SELECT {names} FROM {staging} "
        f"ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    )
    session.connection().exec_driver_sql(statement)


def _staged(session: Session, target: Target, frame: pl.DataFrame) -> str:
    """The frame COPYed into a temporary table of this transaction; the table's name.

    COPY takes the rows as CSV that Polars writes in one call (outside the GIL) and the
    server parses; sending them as query parameters made Python convert every value
    (about a second for the 60,000 keys of a day's rollups)."""
    staging = f"staging_{target.table}"
    columns = ", ".join(f'"{c}" {_PG_TYPES[c]}' for c in frame.columns)
    connection = session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({columns}) ON COMMIT DELETE ROWS"
    )
    connection.exec_driver_sql(f"TRUNCATE {staging}")  # a rolled-back try leaves none, too
    _copy(connection, staging, frame)
    return staging


def insert_frame(session: Session, table: str, frame: pl.DataFrame) -> None:
    """Insert the frame's rows as they are (no conflicts expected): COPY on PostgreSQL,
    one executemany of text values on SQLite; no value passes through SQLAlchemy's types."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, frame)
        return
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({names}) VALUES ({marks})", _as_text(frame, _SQLITE_TIME).rows()
    )


def _copy(connection: Connection, table: str, frame: pl.DataFrame) -> None:
    names = ", ".join(f'"{c}"' for c in frame.columns)
    data = _as_text(frame, _PG_TIME).write_csv(include_header=False).encode()
    raw: Any = connection.connection.dbapi_connection  # psycopg's own connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(data)


def existing_ids(session: Session, table: str, ids: list[int]) -> set[int]:
    """Which of `ids` are rows of `table`; on PostgreSQL, locked FOR KEY SHARE."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        query = text(f"SELECT id FROM {table} WHERE id = ANY(:ids) ORDER BY id FOR KEY SHARE")
        return set(connection.execute(query, {"ids": ids}).scalars())
    query = text(f"SELECT id FROM {table} WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    return {
        found
        for part in batched(ids, _SQLITE_IN_LIMIT)
        for found in connection.execute(query, {"ids": part}).scalars()
    }


def insert_new_lock_rest(session: Session, target: Target, frame: pl.DataFrame) -> pl.DataFrame:
    """SQLite: insert the keys the table lacks; the stored rows of the others (with `id`).

    The transaction holds SQLite's one write lock, so nothing changes them meanwhile."""
    return _sqlite_insert_new(session, target, frame)


def update_rows(session: Session, target: Target, merged: pl.DataFrame) -> None:
    """SQLite: write merged values (`id` + values) back; reopened unmatched rows lose
    their resolution."""
    columns = [c for c in merged.columns if c != "id"]
    extra = ", resolved_customer_id = NULL, resolved_at = NULL" if target.reopens else ""
    sets = ", ".join(f'"{c}" = ?' for c in columns)
    rows = _as_text(merged.select(*columns, "id"), _SQLITE_TIME).rows()
    session.connection().exec_driver_sql(
        f"UPDATE {target.table} SET {sets}{extra} WHERE id = ?", rows
    )


def _sqlite_insert_new(session: Session, target: Target, frame: pl.DataFrame) -> pl.DataFrame:
    span = _as_text(
        frame.select(pl.col("hour").min().alias("low"), pl.col("hour").max().alias("high")),
        _SQLITE_TIME,
    )
    low, high = span.row(0)
    where, params = "WHERE hour >= ? AND hour <= ?", [low, high]
    owners = frame[target.keys[0]].unique().to_list()
    if len(owners) <= _SQLITE_IN_LIMIT:  # only these customers' rows of those hours
        # The unary + keeps SQLite on the hour index (a customer's rows span all hours).
        where += f" AND +{target.keys[0]} IN ({', '.join('?' for _ in owners)})"
        params += owners
    stored = _read(session, target, where, tuple(params))
    stored = stored.join(frame.select(target.keys), on=list(target.keys), how="semi")
    new = frame.join(
        stored.select(target.keys), on=list(target.keys), how="anti", maintain_order="left"
    )
    if not new.is_empty():
        names = ", ".join(f'"{c}"' for c in new.columns)
        marks = ", ".join("?" for _ in new.columns)
        session.connection().exec_driver_sql(
            f"INSERT INTO {target.table} ({names}) VALUES ({marks})",
            _as_text(new, _SQLITE_TIME).rows(),
        )
    return stored


def _read(session: Session, target: Target, where: str, params: Any) -> pl.DataFrame:
    extra = ["resolved_customer_id"] if target.reopens else []
    columns = ["id", *target.keys, *("sum", "count", "min", "max", "last", "last_at"), *extra]
    select = ", ".join(f't."{c}"' for c in columns)
    rows = (
        session.connection()
        .exec_driver_sql(f"SELECT {select} FROM {target.table} AS t {where}", params)
        .all()
    )
    frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")
    return _typed(frame)


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """Text read from the database, typed like the aggregates."""
    present = set(frame.columns)
    ints = ["id", "customer_id", "dimension_id", "count", "resolved_customer_id"]
    times = [c for c in ("hour", "last_at") if c in present]
    return frame.with_columns(
        pl.col([c for c in ints if c in present]).cast(pl.Int64),
        pl.col([c for c in _DECIMALS if c in present]).cast(QUANTITY),
        *(
            pl.col(c).str.strptime(pl.Datetime("us"), _READ_TIME).dt.replace_time_zone("UTC")
            for c in times
        ),
    )


def _as_text(frame: pl.DataFrame, time_format: str) -> pl.DataFrame:
    """Decimals as their digits, datetimes as UTC text; other columns unchanged."""
    return frame.with_columns(
        pl.col(pl.Decimal).cast(pl.String),
        pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.strftime(time_format),
    )
