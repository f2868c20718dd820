"""Aggregating valid records per (customer, dimension, hour), exactly, in Polars.

Records are grouped by their own text (usage id, dimension key, hour) into sum,
count, min, max, the latest record's quantity and its time; chunks of an object
are combined the same way, so memory follows the number of keys, not the
object's size. Only the object's final groups are mapped to ids and parsed to
datetimes. Sums are Decimal(38, 12) (128-bit integers underneath): exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from core.ingest.read.validate import Validated, time_key

ROLLUP_KEY = ("customer_id", "dimension_id", "hour")
UNMATCHED_KEY = ("usage_id", "dimension_id", "hour")
TEXT_KEY = ("customer", "dimension", "hour_text")
VALUES = ("sum", "count", "min", "max", "last", "last_at")
_TIME = "%Y-%m-%dT%H:%M:%S%.f"


def aggregate(checked: Validated) -> pl.DataFrame:
    """One row per TEXT_KEY; `last_at` is still the sortable time text."""
    return grouped(checked.valid.lazy(), TEXT_KEY).collect()


def grouped(rows: pl.LazyFrame, keys: Sequence[str], *extra: pl.Expr) -> pl.LazyFrame:
    """Rows with `q` (Decimal) and `ts_key` (a time_key) grouped by `keys` into VALUES
    (and `extra`).

    `last` is the quantity of the latest record; of records at the same time, the one
    read last (a group keeps its rows in read order)."""
    at = pl.col("ts_key")
    latest = pl.col("q").filter(at == at.max()).last()
    return rows.group_by(keys).agg(
        *_totals(), latest.alias("last"), at.max().alias("last_at"), *extra
    )


def grouped_in_order(rows: pl.LazyFrame, keys: Sequence[str], *extra: pl.Expr) -> pl.LazyFrame:
    """The same for rows in time order whose `timestamp` is the clean spelling
    (`...Z`): a group's last row is its latest, so no time needs comparing."""
    last_at = time_key(pl.col("timestamp").last())
    return rows.group_by(keys).agg(
        *_totals(), pl.col("q").last().alias("last"), last_at.alias("last_at"), *extra
    )


def _totals() -> list[pl.Expr]:
    return [
        pl.col("q").sum().alias("sum"),
        pl.len().cast(pl.Int64).alias("count"),
        pl.col("q").min().alias("min"),
        pl.col("q").max().alias("max"),
    ]


def combine(parts: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
    """Aggregates of several chunks (or objects), in read order, merged into one row
    per key; of equal `last_at`, the later part's `last` wins, as in `grouped`.

    A stable sort by `last_at` puts each key's latest last, and read order among equals
    (cheaper than a filter per group)."""
    return (
        pl.concat(parts)
        .sort("last_at", maintain_order=True)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("sum").sum(),
            pl.col("count").sum(),
            pl.col("min").min(),
            pl.col("max").max(),
            pl.col("last").last(),
            pl.col("last_at").last(),
        )
    )


def hour_of(hour_text: pl.Expr) -> pl.Expr:
    """The UTC hour a (validated) `YYYY-MM-DDTHH` names: parsed in bulk, which is far
    cheaper than mapping through a dict of datetimes (Polars converts it every call)."""
    moment = (hour_text + ":00").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M")
    return moment.dt.replace_time_zone("UTC")


def last_at_of(last_at: pl.Expr) -> pl.Expr:
    """`last_at` from its sortable text (time_key) to a UTC datetime."""
    return last_at.str.strptime(pl.Datetime("us"), _TIME).dt.replace_time_zone("UTC")


def by_customer(
    groups: pl.DataFrame,
    *,
    dimensions: dict[str, int],
    aliases: dict[str, int],
    by: tuple[str, ...] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(known customers' aggregates by ROLLUP_KEY, unknown usage ids' by UNMATCHED_KEY),
    each also by the `by` columns (the object of a bundle) when given."""
    groups = groups.with_columns(
        customer_id=pl.col("customer").replace_strict(aliases, default=None, return_dtype=pl.Int64),
        dimension_id=pl.col("dimension").replace_strict(dimensions, return_dtype=pl.Int64),
        hour=hour_of(pl.col("hour_text")),
        last_at=last_at_of(pl.col("last_at")),
    )
    known = groups.filter(pl.col("customer_id").is_not_null())
    shared = known["customer"].n_unique() > known["customer_id"].n_unique()
    known = known.select(*by, *ROLLUP_KEY, *VALUES)
    if shared:  # a customer's usage arrived under several ids (clusters): one row per customer
        known = combine([known], [*by, *ROLLUP_KEY])
    unknown = groups.filter(pl.col("customer_id").is_null())
    unknown = unknown.select(
        *by, pl.col("customer").alias("usage_id"), "dimension_id", "hour", *VALUES
    )
    return known, unknown
