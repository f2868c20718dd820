"""Where usage objects come from: a local folder or an S3 prefix, behind one interface.

A source lists the objects a pass should consider (`discover`) and opens one for
reading. Which of them were already counted is the pipeline's business (the
IngestedObject table), so a source never needs to remember anything.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from core.errors import ConfigError

# S3's rules for a bucket name (3-63 lower-case letters, digits, dots and hyphens).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


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


class LocalSource:
    """Every visible file under a folder; a file's tag is its size and modification time.

    Hidden files and folders (a leading dot) are skipped, so a writer can create
    `.part` files and rename them into place when complete.
    """

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise ConfigError(f"usage source {root} is not a folder")
        self.root = root.resolve()

    @property
    def name(self) -> str:
        return str(self.root)

    def discover(self, *, now: datetime) -> Iterator[ObjectRef]:
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file in sorted(f for f in files if not f.startswith(".")):
                path = Path(folder, file)
                stat = path.stat()
                key = path.relative_to(self.root).as_posix()
                yield ObjectRef(key, f"{stat.st_size:x}-{stat.st_mtime_ns:x}", stat.st_size)

    def open(self, ref: ObjectRef) -> OpenedObject:
        path = self.root / ref.key
        return OpenedObject(stream=path.open("rb"), path=path)


def open_source(usage_url: str, *, s3_client: Any, lookback_days: int = 3) -> UsageSource:
    """The source for METERBOT_USAGE_URL: `s3://bucket/prefix/` or a local folder."""
    if usage_url.startswith("s3://"):
        from core.ingest.sources.s3 import S3Source

        bucket, _, prefix = usage_url.removeprefix("s3://").partition("/")
        if not _BUCKET.match(bucket):
            raise ConfigError(f"usage source {usage_url!r}: expected s3://bucket/prefix/")
        return S3Source(s3_client, bucket, prefix, lookback_days=lookback_days)
    scheme, found, _ = usage_url.partition("://")
    if found and scheme != "file":
        raise ConfigError(f"usage source {usage_url!r}: expected s3://bucket/prefix/ or a folder")
    path = usage_url.removeprefix("file://")
    return LocalSource(Path(path).expanduser())
