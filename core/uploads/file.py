"""A usage file shared in Slack, read with the same parser and validation as S3 usage.

The bytes are offered to the ingestion reader (`core.ingest.objects.read_object`) as a
one-object source, so a CSV shared by hand is held to exactly the rules of a file in
the bucket: the plans file's field mapping, the quarantine reasons, the customer's
usage ids. What comes back is one total per (customer, dimension, hour), every bad
line with its number and reason, and the usage ids no customer has.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.errors import InvalidInput
from core.ingest.context import Context
from core.ingest.objects import read_object
from core.ingest.read.formats import Format, detect_format
from core.ingest.sources.base import ObjectRef, OpenedObject

MAX_BYTES = 10 * 2**20
MAX_ROWS = 100_000
LIMITS = "10 MB or 100,000 rows"


@dataclass(frozen=True)
class UploadRow:
    """The usage of one customer, dimension and hour in the file."""

    customer_id: int
    dimension_id: int
    hour: datetime
    quantity: Decimal
    lines: int


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str
    text: str


@dataclass
class UploadReading:
    name: str
    content_hash: str
    lines: int  # data lines (the header excluded)
    rows: list[UploadRow] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    unknown_ids: dict[str, int] = field(default_factory=dict)  # usage id -> lines


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_shape(name: str, data: bytes) -> int:
    """The number of data lines, or InvalidInput saying why the file cannot be read."""
    fmt, gzipped = detect_format(name)
    if fmt is not Format.CSV or gzipped or b"\x00" in data[:65536]:
        raise InvalidInput(f"{name} is not a CSV file: share a .csv with a header line")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{name} is too large: the limit is {LIMITS}")
    lines = sum(1 for line in data.splitlines()[1:] if line.strip())
    if lines == 0:
        raise InvalidInput(f"{name} is empty: it has no usage lines under its header")
    if lines > MAX_ROWS:
        raise InvalidInput(f"{name} has {lines:,} rows: the limit is {LIMITS}")
    return lines


def read_upload(name: str, data: bytes, context: Context) -> UploadReading:
    """Read a shared CSV; InvalidInput when it is no CSV, too large, empty or all bad."""
    lines = check_shape(name, data)
    source = _OneFile(name, data)
    result = read_object(
        source, source.ref, context, chunk_bytes=MAX_BYTES, quarantine_cap=MAX_ROWS
    )
    reading = UploadReading(name, content_hash(data), lines)
    reading.bad = [BadLine(n, reason, text) for n, reason, text in result.quarantine]
    reading.unknown_ids = dict(result.unmatched_ids)
    if result.rollups is not None:
        reading.rows = [
            UploadRow(c, d, hour, Decimal(total).normalize(), count)
            for c, d, hour, total, count in result.rollups.select(
                "customer_id", "dimension_id", "hour", "sum", "count"
            ).iter_rows()
        ]
    if not reading.rows:
        raise AllLinesBad(reading)
    return reading


class AllLinesBad(InvalidInput):
    """No line of the file can be sent; the reading says why, line by line."""

    def __init__(self, reading: UploadReading) -> None:
        super().__init__(f"no line of {reading.name} can be sent: every one has a problem")
        self.reading = reading


class _OneFile:
    """The shared file as a usage source of one object."""

    def __init__(self, name: str, data: bytes) -> None:
        self.data = data
        self.ref = ObjectRef(name, content_hash(data), len(data))

    @property
    def name(self) -> str:
        return "slack-upload"

    def discover(self, *, now: datetime) -> Iterator[ObjectRef]:
        yield self.ref

    def open(self, ref: ObjectRef) -> OpenedObject:
        return OpenedObject(stream=io.BytesIO(self.data))
