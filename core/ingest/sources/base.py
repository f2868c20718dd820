"""What every usage source offers: the objects to consider, each opened for reading.

A source lists the objects a pass should consider (`discover`) and opens one for
reading. Which of them were already counted is the pipeline's business (the
IngestedObject table), so a source never needs to remember anything. The sources
themselves are local.py (a folder) and s3.py; open.py picks one for a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class ObjectRef:
    """One object: its key (relative to the source root for folders), version tag and size."""

    key: str
    etag: str
    size: int


@dataclass
class OpenedObject:
    """A readable object: a byte stream, its Content-Encoding, and a local path if it has one."""

    stream: BinaryIO
    content_encoding: str | None = None
    path: Path | None = None

    def close(self) -> None:
        self.stream.close()


class UsageSource(Protocol):
    @property
    def name(self) -> str:
        """A stable id for the source (stored with every object counted from it)."""
        ...

    def discover(self, *, now: datetime) -> Iterator[ObjectRef]:
        """The objects a pass should look at (already-counted ones included)."""
        ...

    def open(self, ref: ObjectRef) -> OpenedObject: ...
