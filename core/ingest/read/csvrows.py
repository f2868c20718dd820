"""CSV chunks: Polars on the whole chunk, the csv module line by line where it fails.

Every chunk is parsed with the file's header line in front, all columns as text.
Quoted fields spanning lines are not supported (usage records never need them).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping

import polars as pl

from core.ingest.read.frames import canonical, rows_frame
from core.ingest.read.lines import Lines
from core.ingest.read.records import FIELDS, Chunk


def csv_chunk(header: bytes, lines: Lines, fields: Mapping[str, str]) -> Chunk:
    try:
        frame = pl.read_csv(header + lines.block, infer_schema=False)
    except pl.exceptions.PolarsError:
        return _line_by_line(header, lines, fields)
    frame = canonical(frame, fields).with_columns(line=lines.numbers(frame.height))
    return Chunk(frame, [], lines.text)


def _line_by_line(header: bytes, lines: Lines, fields: Mapping[str, str]) -> Chunk:
    names = next(csv.reader([header.decode("utf-8", "replace").rstrip("\r\n")]))
    index = {name: i for i, name in enumerate(names)}
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    for number, raw in lines.nonblank():
        text = raw.decode("utf-8", "replace").rstrip("\r")
        values = next(csv.reader([text]), [])
        if len(values) != len(names):
            malformed.append((number, text))
            continue
        rows.append([_cell(values, index.get(fields[name])) for name in FIELDS])
        numbers.append(number)
    return Chunk(rows_frame(rows, numbers), malformed, lines.text)


def _cell(values: list[str], position: int | None) -> str | None:
    if position is None or values[position] == "":
        return None
    return values[position]
