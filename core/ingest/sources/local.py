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
