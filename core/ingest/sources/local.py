"""A local folder as a usage source (the demo, tests and small set-ups)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from core.errors import ConfigError
from core.ingest.sources.base import ObjectRef, OpenedObject


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
        # os.scandir with plain strings: a folder of thousands of objects is walked at
        # every pass, and pathlib objects cost more than the stat calls themselves.
        yield from _walk(str(self.root), "")

    def open(self, ref: ObjectRef) -> OpenedObject:
        path = self.root / ref.key
        return OpenedObject(stream=path.open("rb"), path=path)


def _walk(folder: str, prefix: str) -> Iterator[ObjectRef]:
    """Visible files below `folder` in name order, keys relative to the source root."""
    with os.scandir(folder) as scan:
        entries = sorted((e for e in scan if not e.name.startswith(".")), key=lambda e: e.name)
    for entry in entries:
        key = prefix + entry.name
        if entry.is_dir():
            yield from _walk(entry.path, key + "/")
        elif entry.is_file():
            stat = entry.stat()
            yield ObjectRef(key, f"{stat.st_size:x}-{stat.st_mtime_ns:x}", stat.st_size)
