"""Aggregating valid records per (customer, dimension, hour), exactly, in Polars.

A chunk's records become one row per key with sum, count, min, max, the last
quantity and its time; chunks of one object are combined the same way. Sums are
Decimal(38, 12) (128-bit integers underneath), so nothing is rounded.
"""

from __future__ import annotations

import polars as pl

AGGREGATES = ("sum", "count", "min", "max", "last", "last_at")


def split_by_customer(
    valid: pl.DataFrame, aliases: dict[str, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows of known customers with `customer_id`, rows under unknown usage ids)."""
    mapped = valid.with_columns(
        customer_id=pl.col("customer").replace_strict(aliases, default=None, return_dtype=pl.Int64)
    )
    known = mapped.filter(pl.col("customer_id").is_not_null())
    unknown = mapped.filter(pl.col("customer_id").is_null())
    return known, unknown


def aggregate(records: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per key: sum, count, min, max, last (the latest record's quantity), last_at.

    On equal timestamps the first record read wins, here and when combining.
    """
    return records.group_by(keys).agg(
        pl.col("q").sum().alias("sum"),
        pl.len().cast(pl.Int64).alias("count"),
        pl.col("q").min().alias("min"),
        pl.col("q").max().alias("max"),
        pl.col("q").get(pl.col("ts").arg_max()).alias("last"),
        pl.col("ts").max().alias("last_at"),
    )


def combine(parts: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
    """Aggregates of several chunks merged into one row per key."""
    return (
        pl.concat(parts)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("sum").sum(),
            pl.col("count").sum(),
            pl.col("min").min(),
            pl.col("max").max(),
            pl.col("last").get(pl.col("last_at").arg_max()),
            pl.col("last_at").max(),
        )
    )
