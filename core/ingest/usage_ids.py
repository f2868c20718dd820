"""Aggregates per usage id, for customers whose usage arrives under several ids.

A customer with two clusters writes two storage gauges; the customer's rollup mixes
their readings, so its average is the mean of both clusters, about half of what they
store together. For such customers each object's aggregates are also kept per usage
id (`UsageIdRollup`), and the readers (`core.usage.rollups`) combine a gauge per id
first, then across the ids. Customers with one usage id need nothing more.
"""

from __future__ import annotations

import polars as pl

from core.ingest.read.aggregate import VALUES, combine, hour_of, last_at_of

KEY = ("customer_id", "usage_id", "dimension_id", "hour")


def by_usage_id(
    groups: pl.DataFrame,
    *,
    several: frozenset[str],
    dimensions: dict[str, int],
    aliases: dict[str, int],
    by: tuple[str, ...] = (),
) -> pl.DataFrame | None:
    """An object's groups (by usage id text, dimension, hour) for `several`, keyed by KEY
    (and the `by` columns before it, when given)."""
    if not several:
        return None
    mine = groups.filter(pl.col("customer").is_in(list(several)))
    if not mine.height:
        return None
    mine = mine.with_columns(
        customer_id=pl.col("customer").replace_strict(aliases, return_dtype=pl.Int64),
        usage_id=pl.col("customer"),
        dimension_id=pl.col("dimension").replace_strict(dimensions, return_dtype=pl.Int64),
        hour=hour_of(pl.col("hour_text")),
        last_at=last_at_of(pl.col("last_at")),
    )
    return combine([mine.select(*by, *KEY, *VALUES)], [*by, *KEY])
