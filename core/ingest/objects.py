"""One object, read and reduced to what its commit needs: aggregates and rejected lines.

Nothing here touches the database: the object is read in bounded chunks, each
chunk validated and aggregated, and the chunks' aggregates combined, so memory
follows the chunk size and the number of (customer, dimension, hour) keys,
never the object's size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import polars as pl

from core.ingest.context import Context, Progress
from core.ingest.read.aggregate import TEXT_KEY, aggregate, by_customer, combine
from core.ingest.read.clean import CleanRule, split_clean
from core.ingest.read.formats import read_chunks
from core.ingest.read.records import Chunk
from core.ingest.read.validate import validate
from core.ingest.sources.base import ObjectRef, UsageSource
from core.ingest.usage_ids import by_usage_id

_COMBINE_EVERY = 4
_NONE_REJECTED = pl.DataFrame(schema={"line": pl.Int64, "reason": pl.String})


@dataclass
class ObjectResult:
    rollups: pl.DataFrame | None = None  # per (customer_id, dimension_id, hour)
    unmatched: pl.DataFrame | None = None  # per (usage_id, dimension_id, hour)
    by_usage_id: pl.DataFrame | None = None  # per usage id of customers with several
    records: int = 0
    unmatched_records: int = 0
    unmatched_ids: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    quarantine: list[tuple[int, str, str]] = field(default_factory=list)  # line, reason, raw
    hours: int = 0  # distinct hours of `rollups`, counted by the pass for objects of many keys

    @property
    def rejected(self) -> int:
        return sum(self.reasons.values())

    def set_unmatched(self, unknown: pl.DataFrame) -> None:
        """Usage under ids no customer has (by UNMATCHED_KEY), and its records per id."""
        self.unmatched = unknown
        self.unmatched_records = int(unknown["count"].sum())
        counts = unknown.group_by("usage_id").agg(pl.col("count").sum()).iter_rows()
        self.unmatched_ids.update(dict(counts))


def read_object(
    source: UsageSource,
    ref: ObjectRef,
    context: Context,
    *,
    chunk_bytes: int,
    quarantine_cap: int,
    progress: Progress | None = None,
) -> ObjectResult:
    """Read, validate and aggregate one object; no database involved."""
    result = ObjectResult()
    opened = source.open(ref)
    counter = _Counting(opened.stream, progress)
    opened.stream = counter  # type: ignore[assignment]
    chunks = read_chunks(opened, ref.key, fields=context.fields, chunk_bytes=chunk_bytes)
    try:
        # Closed at once on an error, so the reading threads stop and free their blocks.
        with closing(chunks):
            groups = _reduce(chunks, context, result, quarantine_cap)
    finally:
        opened.close()
    if progress is not None and ref.size > counter.count:
        progress(ref.size - counter.count)
    if groups is not None:
        _split(groups, context, result)
    return result


def _reduce(
    chunks: Iterator[Chunk], context: Context, result: ObjectResult, cap: int
) -> pl.DataFrame | None:
    """The object's groups by TEXT_KEY (None if no record was usable)."""
    parts: list[pl.DataFrame] = []
    rule = CleanRule.of(list(context.dimensions), now=context.now, max_age=context.max_age)
    for chunk in chunks:
        clean, rest = split_clean(chunk.frame, rule)
        if clean.height:
            parts.append(clean)
            result.records += int(clean["count"].sum())
        rejected = _NONE_REJECTED
        if rest.height:  # rare: rows to quarantine, or spellings to read one by one
            checked = validate(
                rest, dimensions=context.dimensions, now=context.now, max_age=context.max_age
            )
            rejected = checked.rejected
            result.records += checked.valid.height
            if checked.valid.height:
                parts.append(aggregate(checked))
        _quarantine(chunk, rejected, result, cap)
        if len(parts) >= _COMBINE_EVERY:  # keep memory to about one row per key
            parts = [combine(parts, list(TEXT_KEY))]
    if len(parts) > 1:
        parts = [combine(parts, list(TEXT_KEY))]
    return parts[0] if parts else None


def _split(groups: pl.DataFrame, context: Context, result: ObjectResult) -> None:
    known, unknown = by_customer(groups, dimensions=context.dimensions, aliases=context.aliases)
    result.rollups = known
    result.by_usage_id = by_usage_id(
        groups,
        several=context.several_ids,
        dimensions=context.dimensions,
        aliases=context.aliases,
    )
    if unknown.height:
        result.set_unmatched(unknown)


def _quarantine(chunk: Chunk, rejected: pl.DataFrame, result: ObjectResult, cap: int) -> None:
    """Count every rejected line; keep the first `cap` of the object with their text."""
    result.reasons["malformed"] += len(chunk.malformed)
    if rejected.height:
        result.reasons.update(dict(rejected.group_by("reason").len().iter_rows()))
    room = cap - len(result.quarantine)
    result.quarantine += [(line, "malformed", raw) for line, raw in chunk.malformed[:room]]
    room = cap - len(result.quarantine)
    if room > 0 and rejected.height:
        kept = rejected.head(room)
        texts = chunk.raw(kept["line"].to_list())
        result.quarantine += [
            (line, reason, texts.get(line, "")) for line, reason in kept.iter_rows()
        ]
    if not result.reasons["malformed"]:
        del result.reasons["malformed"]


class _Counting:
    """A byte stream that reports how much has been read (for the progress bar)."""

    def __init__(self, stream: BinaryIO, progress: Progress | None) -> None:
        self.stream = stream
        self.progress = progress
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data

    def close(self) -> None:
        self.stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
