"""The shape every format is read into: line number plus the four fields as text."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import polars as pl

FIELDS = ("timestamp", "customer", "dimension", "quantity")
T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in runs of `size` (itertools.batched arrives only in Python 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _no_raw(lines: list[int]) -> dict[int, str]:
    return {}


@dataclass
class Chunk:
    """Records of one chunk, the lines that are not records, and the text of any line."""

    frame: pl.DataFrame  # line (Int64) + FIELDS as text, null when absent
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (line, raw text)
    raw: Callable[[list[int]], dict[int, str]] = _no_raw


def default_fields() -> dict[str, str]:
    """The record format's own names: no mapping."""
    return {name: name for name in FIELDS}


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
