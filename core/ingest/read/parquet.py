"""Parquet chunks: streamed in batches of rows, the four fields cast to text.

Timestamps stored as Parquet datetimes become ISO 8601 text (naive ones are
taken as UTC); float quantities become their shortest decimal text, which is
what the producer wrote when it had at most 15 significant digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import polars as pl

from core.ingest.read.frames import canonical
from core.ingest.read.records import FIELDS, Chunk

BATCH_ROWS = 500_000


def parquet_chunks(path: Path, fields: Mapping[str, str]) -> Iterator[Chunk]:
    schema = pl.read_parquet_schema(path)
    present = [fields[name] for name in FIELDS if fields[name] in schema]
    first = 1
    columns = [_as_text(name, schema[name]) for name in present]
    if not columns:  # none of the fields: still a row per record, each `missing_field`
        columns = [pl.first().is_null().alias("_row")]
    scan = pl.scan_parquet(path).select(columns)
    for batch in scan.collect_batches(chunk_size=BATCH_ROWS):
        frame = canonical(batch, fields).with_columns(
            line=pl.int_range(first, first + batch.height, dtype=pl.Int64)
        )
        first += batch.height
        yield Chunk(frame, [], _row_text(frame))


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            column = column.dt.replace_time_zone("UTC")
        column = column.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")
    return column.cast(pl.String).alias(name)


def _row_text(frame: pl.DataFrame) -> Callable[[list[int]], dict[int, str]]:
    def raw(lines: list[int]) -> dict[int, str]:
        rows = frame.filter(pl.col("line").is_in(lines)).to_dicts()
        return {row.pop("line"): json.dumps(row) for row in rows}

    return raw
