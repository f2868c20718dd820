"""Many small objects read as one: one parse and one grouping for the lot.

A product that writes an object per customer and hour (or minute) makes objects of a
few KB. Read one by one, each pays the dozen Polars calls a large object pays
(parse, check, group, map to customers): milliseconds of fixed cost against
microseconds of parsing. So small JSON Lines objects are fetched (several GETs in
flight), joined into one block, parsed and grouped by (object, usage id, dimension,
hour) in one query, and the groups parted again by object: each object still gets
its own result, committed and counted as its own.

Only the common case is done here: an object with a line that is malformed or must
be quarantined, or whose bytes cannot be decompressed, is read again on its own by
`read_object` (from the bytes already fetched), which names every reason; the
bundle only decides which code does the work, never the result.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from core.ingest.context import Context, Progress
from core.ingest.objects import ObjectResult, read_object
from core.ingest.read.aggregate import by_customer
from core.ingest.read.clean import CleanRule, split_clean
from core.ingest.read.formats import Format, detect_format, jsonl_chunk
from core.ingest.read.lines import Lines
from core.ingest.sources.base import ObjectRef, OpenedObject, UsageSource
from core.ingest.usage_ids import by_usage_id

SMALL_BYTES = 2**20  # an object of at most this much (as stored) may join a bundle
BUNDLE_OBJECTS = 64
BUNDLE_BYTES = 16 * 2**20  # stored bytes of a bundle, a gzipped object counted 8 times
_GZIP_WEIGHT = 8
# GETs in flight per bundle: S3 answers a small GET in 10-50 ms, so one at a time
# would leave the CPUs idle; the S3 client's pool holds as many connections.
FETCHES = 16
_OBJ = ("obj",)

Outcome = ObjectResult | Exception


@dataclass
class _Fetched:
    ref: ObjectRef
    raw: bytes  # as stored (compressed or not)
    content_encoding: str | None
    text: bytes | None = None  # JSON Lines, ending with a newline; None: read it alone


def bundleable(ref: ObjectRef) -> bool:
    """Whether the object may be read in a bundle: JSON Lines, and small."""
    return detect_format(ref.key)[0] is Format.JSONL and ref.size <= SMALL_BYTES


def weight(ref: ObjectRef) -> int:
    """What the object counts for against BUNDLE_BYTES (gzip grows when read)."""
    return ref.size * (_GZIP_WEIGHT if detect_format(ref.key)[1] else 1)


def read_bundle(
    source: UsageSource,
    refs: Sequence[ObjectRef],
    context: Context,
    *,
    chunk_bytes: int,
    quarantine_cap: int,
    fetcher: ThreadPoolExecutor,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Each object's result (or the error that kept it from being read), in order."""
    fetched = list(fetcher.map(lambda ref: _fetch(source, ref, progress), refs))
    outcomes: dict[int, Outcome] = {}
    texts: dict[int, bytes] = {}  # by the object's place in `refs`
    alone: list[int] = []
    for index, item in enumerate(fetched):
        if isinstance(item, Exception):
            outcomes[index] = item
        elif item.text:
            texts[index] = item.text
        else:
            alone.append(index)
    if texts:
        places = list(texts)
        read, unusual = _read_joined(list(texts.values()), context)
        outcomes |= {places[n]: result for n, result in read.items()}
        alone += [places[n] for n in unusual]
    for index in alone:
        item = fetched[index]
        assert isinstance(item, _Fetched)
        outcomes[index] = _read_alone(item, context, chunk_bytes, quarantine_cap)
    return [outcomes[index] for index in range(len(refs))]


def _fetch(source: UsageSource, ref: ObjectRef, progress: Progress | None) -> _Fetched | Exception:
    try:
        opened = source.open(ref)
        try:
            raw = opened.stream.read()
        finally:
            opened.close()
    except Exception as exc:  # the object's own outcome: the others go on
        return exc
    if progress is not None:
        progress(ref.size)
    item = _Fetched(ref, raw, opened.content_encoding)
    gzipped = detect_format(ref.key, opened.content_encoding)[1]
    try:
        text = gzip.decompress(raw) if gzipped else raw
    except (OSError, EOFError):  # read alone, which reports the error as it always does
        return item
    if text.startswith(b"\xef\xbb\xbf"):  # a BOM is fine at the start only: read it alone
        return item
    # An empty object is read alone (quickly); a missing last newline is added.
    item.text = text if not text or text.endswith(b"\n") else text + b"\n"
    return item


def _read_joined(texts: list[bytes], context: Context) -> tuple[dict[int, ObjectResult], set[int]]:
    """Results of the objects whose lines are all usable; the others' numbers."""
    counts = [text.count(b"\n") for text in texts]
    starts = [1]
    for count in counts[:-1]:
        starts.append(starts[-1] + count)
    chunk = jsonl_chunk(Lines(b"".join(texts), 1), context.fields)
    first_lines = pl.Series(starts, dtype=pl.Int64)
    frame = chunk.frame.with_columns(
        obj=first_lines.search_sorted(chunk.frame["line"], side="right").cast(pl.Int64) - 1
    )
    unusual = {_object_of(line, first_lines) for line, _ in chunk.malformed}
    rule = CleanRule.of(list(context.dimensions), now=context.now, max_age=context.max_age)
    groups, rest = split_clean(frame, rule, by=_OBJ)
    unusual |= set(rest["obj"].unique().to_list())
    if unusual:
        groups = groups.filter(~pl.col("obj").is_in(list(unusual)))
    results = {n: ObjectResult() for n in range(len(texts)) if n not in unusual}
    _split(groups, context, results)
    return results, unusual


def _object_of(line: int, first_lines: pl.Series) -> int:
    return int(first_lines.search_sorted(line, side="right")) - 1


def _split(groups: pl.DataFrame, context: Context, results: dict[int, ObjectResult]) -> None:
    """The bundle's groups parted into each object's result (as objects.py does for one)."""
    known, unknown = by_customer(
        groups, dimensions=context.dimensions, aliases=context.aliases, by=_OBJ
    )
    several = by_usage_id(
        groups,
        several=context.several_ids,
        dimensions=context.dimensions,
        aliases=context.aliases,
        by=_OBJ,
    )
    for obj, records in groups.group_by("obj").agg(pl.col("count").sum()).iter_rows():
        results[obj].records = records
    for obj, frame in _parted(known).items():
        results[obj].rollups = frame
    for obj, frame in _parted(several).items():
        results[obj].by_usage_id = frame
    for obj, frame in _parted(unknown).items():
        results[obj].set_unmatched(frame)


def _parted(frame: pl.DataFrame | None) -> dict[int, pl.DataFrame]:
    if frame is None or not frame.height:
        return {}
    parts = frame.partition_by("obj", as_dict=True, include_key=False, maintain_order=True)
    return {int(key[0]): part for key, part in parts.items()}


def _read_alone(item: _Fetched, context: Context, chunk_bytes: int, quarantine_cap: int) -> Outcome:
    """The object read on its own from the bytes fetched (naming every reason)."""
    try:
        return read_object(
            _FetchedSource(item),
            item.ref,
            context,
            chunk_bytes=chunk_bytes,
            quarantine_cap=quarantine_cap,
        )
    except Exception as exc:
        return exc


class _FetchedSource:
    """The one object already fetched, as a source `read_object` can open."""

    def __init__(self, item: _Fetched) -> None:
        self.item = item

    @property
    def name(self) -> str:
        return ""

    def discover(self, *, now: datetime) -> Iterator[ObjectRef]:
        yield self.item.ref

    def open(self, ref: ObjectRef) -> OpenedObject:
        return OpenedObject(io.BytesIO(self.item.raw), self.item.content_encoding)
