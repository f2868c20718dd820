"""Reading usage objects in bounded chunks: JSON Lines, CSV and Parquet, optionally gzip.

Each chunk becomes a Polars frame with a `line` number and the four fields as
text (null when absent), renamed from the record's own names by the field
mapping. Quantities stay text so no float ever touches them: a JSON number that
Polars may have rounded through a float (more than 15 digits) is read again
from its line. Lines that are not records at all come back as `malformed`.
"""

from __future__ import annotations

import gzip
import itertools
import json
import tempfile
from collections.abc import Generator, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import polars as pl

from core.ingest.read.csvrows import csv_chunk
from core.ingest.read.frames import canonical, rows_frame
from core.ingest.read.lines import Lines, line_blocks, numbered_blocks, prefetched
from core.ingest.read.parquet import parquet_chunks
from core.ingest.read.records import CHUNK_BYTES, FIELDS, Chunk
from core.ingest.sources.base import OpenedObject

_PIECE_LINES = 2000  # when a chunk has a bad line, Polars retries it in pieces this long
_FLOAT_SAFE_LEN = 16  # up to 15 significant digits survive a round trip through a float


class Format(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


_EXTENSIONS = {
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,
    ".csv": Format.CSV,
    ".parquet": Format.PARQUET,
}


def detect_format(key: str, content_encoding: str | None = None) -> tuple[Format, bool]:
    """(format, gzipped) from the key's extension and Content-Encoding; default JSON Lines."""
    name = key.lower()
    gzipped = name.endswith((".gz", ".gzip")) or (content_encoding or "").lower() in {
        "gzip",
        "x-gzip",
    }
    base = name.removesuffix(".gz").removesuffix(".gzip")
    suffix = base[base.rfind(".") :] if "." in base else ""
    return _EXTENSIONS.get(suffix, Format.JSONL), gzipped


def read_chunks(
    opened: OpenedObject,
    key: str,
    *,
    fields: Mapping[str, str],
    chunk_bytes: int = CHUNK_BYTES,
) -> Generator[Chunk, None, None]:
    """The object's records in chunks of about `chunk_bytes` (uncompressed)."""
    fmt, gzipped = detect_format(key, opened.content_encoding)
    stream: BinaryIO = opened.stream
    if gzipped:
        stream = gzip.GzipFile(fileobj=opened.stream)  # type: ignore[assignment]
    if fmt is Format.PARQUET:
        yield from _parquet_chunks(stream, None if gzipped else opened.path, fields)
    elif fmt is Format.CSV:
        yield from _csv_chunks(stream, fields, chunk_bytes)
    else:
        yield from _jsonl_chunks(stream, fields, chunk_bytes)


def _jsonl_chunks(stream: BinaryIO, fields: Mapping[str, str], chunk_bytes: int) -> Iterator[Chunk]:
    """Three stages, each in its own thread: reading and cutting a block, parsing the
    one before, validating the one before that. An object of one block (most small
    objects) is parsed right here: starting threads would cost more than it saves."""
    blocks = numbered_blocks(stream, chunk_bytes)
    first = next(blocks, None)
    if first is None:
        return
    second = next(blocks, None)
    if second is None:
        yield jsonl_chunk(first, fields)
        return
    rest = itertools.chain([first, second], prefetched(blocks))
    yield from prefetched(jsonl_chunk(lines, fields) for lines in rest)


def jsonl_chunk(lines: Lines, fields: Mapping[str, str]) -> Chunk:
    """One block of JSON Lines as a chunk (a bad line costs the block a slower read)."""
    schema = {name: pl.String for name in fields.values()}
    try:
        frame = pl.read_ndjson(lines.block, schema=schema)
    except pl.exceptions.PolarsError:
        return _jsonl_in_pieces(lines, fields)
    frame = canonical(frame, fields).with_columns(line=lines.numbers(frame.height))
    return Chunk(_exact_quantities(frame, lines, fields), [], lines.text)


def _jsonl_in_pieces(lines: Lines, fields: Mapping[str, str]) -> Chunk:
    """A chunk with a bad line: Polars on small pieces, line by line where a piece fails."""
    frames, malformed = [], []
    for piece in lines.pieces(_PIECE_LINES):
        try:
            frame = pl.read_ndjson(piece.block, schema={n: pl.String for n in fields.values()})
            frame = canonical(frame, fields).with_columns(line=piece.numbers(frame.height))
        except pl.exceptions.PolarsError:
            frame, bad = _json_rows(piece, fields)
            malformed += bad
        frames.append(_exact_quantities(frame, piece, fields))
    return Chunk(pl.concat(frames), malformed, lines.text)


def _json_rows(
    lines: Lines, fields: Mapping[str, str]
) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    for number, line in lines.nonblank():
        row = json_record(line, fields)
        if row is None:
            malformed.append((number, line.decode("utf-8", "replace")))
        else:
            rows.append(row)
            numbers.append(number)
    return rows_frame(rows, numbers), malformed


def json_record(line: bytes, fields: Mapping[str, str]) -> list[str | None] | None:
    """The four fields of one JSON line as exact text; None if it is not a JSON object."""
    try:
        record = json.loads(line, parse_float=str, parse_int=str, parse_constant=str)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    return [_text(record.get(fields[name])) for name in FIELDS]


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)  # true/false, objects, lists: kept as text, rejected later


def _exact_quantities(frame: pl.DataFrame, lines: Lines, fields: Mapping[str, str]) -> pl.DataFrame:
    """Re-read from their lines the quantities a float may have rounded (rare)."""
    suspect = frame.filter(pl.col("quantity").str.len_bytes() > _FLOAT_SAFE_LEN)
    if suspect.is_empty():
        return frame
    texts = lines.raw_bytes(suspect["line"].to_list())
    exact = {n: (json_record(texts[n], fields) or [None] * 4)[3] for n in texts}
    fixed = pl.DataFrame(
        {"line": list(exact), "exact": list(exact.values())},
        schema={"line": pl.Int64, "exact": pl.String},
    )
    joined = frame.join(fixed, on="line", how="left", maintain_order="left")
    return joined.with_columns(pl.coalesce("exact", "quantity").alias("quantity")).drop("exact")


def _csv_chunks(stream: BinaryIO, fields: Mapping[str, str], chunk_bytes: int) -> Iterator[Chunk]:
    yield from prefetched(_csv_parsed(stream, fields, chunk_bytes))


def _csv_parsed(stream: BinaryIO, fields: Mapping[str, str], chunk_bytes: int) -> Iterator[Chunk]:
    header: bytes | None = None
    first = 2
    for block in line_blocks(stream, chunk_bytes):
        if header is None:
            cut = block.find(b"\n") + 1 or len(block)
            header, block = block[:cut].removeprefix(b"\xef\xbb\xbf"), block[cut:]
            if not block:
                continue
        lines = Lines(block, first)
        yield csv_chunk(header, lines, fields)
        first += lines.count


def _parquet_chunks(
    stream: BinaryIO, path: Path | None, fields: Mapping[str, str]
) -> Iterator[Chunk]:
    if path is not None:
        yield from parquet_chunks(path, fields)
        return
    # Parquet needs to seek (its index is at the end): spool to disk, not to memory.
    with tempfile.NamedTemporaryFile(suffix=".parquet") as spool:
        while block := stream.read(8 * 2**20):
            spool.write(block)
        spool.flush()
        yield from parquet_chunks(Path(spool.name), fields)


__all__ = [
    "CHUNK_BYTES",
    "FIELDS",
    "Chunk",
    "Format",
    "detect_format",
    "jsonl_chunk",
    "read_chunks",
]
