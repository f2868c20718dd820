"""Chunk frames: a format's rows as the four fields under meterbot's names, as text."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from core.ingest.read.records import FIELDS


def canonical(frame: pl.DataFrame, fields: Mapping[str, str]) -> pl.DataFrame:
    """The four fields under meterbot's names, as text; a column the record lacks is null.

    A missing column is a null column as long as the frame (not a single literal
    row), so its rows go on to be quarantined as `missing_field`."""
    return frame.select(
        (
            pl.col(fields[name]).cast(pl.String)
            if fields[name] in frame.columns
            else pl.repeat(None, frame.height, dtype=pl.String)
        ).alias(name)
        for name in FIELDS
    )


def rows_frame(rows: list[list[str | None]], numbers: list[int]) -> pl.DataFrame:
    """A chunk frame from rows parsed in Python (the slow path for damaged chunks)."""
    frame = pl.DataFrame(rows, schema=dict.fromkeys(FIELDS, pl.String), orient="row")
    return frame.with_columns(line=pl.Series(numbers, dtype=pl.Int64))
