"""Line-oriented bytes: cutting a stream into blocks of whole lines, and numbering them.

Polars parses a block in one call and skips blank lines; `Lines` maps its rows
back to line numbers, and gives the text of a line for the quarantine. Splitting
a block into Python lines is done only when needed (a chunk with rejections).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from queue import Full, Queue
from typing import Any, BinaryIO, TypeVar

import numpy as np
import polars as pl

from core.errors import InvalidInput

MAX_LINE_BYTES = 64 * 2**20
_COUNT_SLICE = 2**18
T = TypeVar("T")


def line_blocks(stream: BinaryIO, block_bytes: int) -> Iterator[bytes]:
    """Blocks of about `block_bytes` that end on a line boundary (the last one may not)."""
    carry = b""
    while True:
        block = stream.read(block_bytes)
        if not block:
            if carry:
                yield carry
            return
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            carry += block
            if len(carry) > MAX_LINE_BYTES:
                raise InvalidInput(f"a line longer than {MAX_LINE_BYTES // 2**20} MB")
            continue
        # One copy: the carried start of a line, then the block up to its last newline.
        yield b"".join((carry, memoryview(block)[:cut])) if carry or cut < len(block) else block
        carry = block[cut:]


def numbered_blocks(stream: BinaryIO, block_bytes: int, first: int = 1) -> Iterator[Lines]:
    """`line_blocks`, each with the number of its first line."""
    for block in line_blocks(stream, block_bytes):
        lines = Lines(block, first)
        yield lines
        first += lines.count


def _newlines(block: bytes) -> int:
    # NumPy counts four times as fast as bytes.count, and without holding the GIL;
    # a slice at a time, so the comparison's scratch array stays in the cache.
    data, count = np.frombuffer(block, np.uint8), 0
    for start in range(0, len(data), _COUNT_SLICE):
        count += int(np.count_nonzero(data[start : start + _COUNT_SLICE] == ord("\n")))
    return count


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """`items`, the next one produced (read, decompressed, parsed) in a thread while the
    consumer works on this one.

    Polars releases the GIL, so producing ahead overlaps I/O, gzip and parsing with
    the consumer's work; at most two items wait in memory per stage. When the
    consumer stops (closes this generator), the producer stops and closes `items`,
    so stages chained from prefetched generators all stop."""
    queue: Queue[T | BaseException | None] = Queue(maxsize=1)
    stop = threading.Event()

    def fill() -> None:
        try:
            for item in items:
                if not _offer(queue, item, stop):
                    return
            _offer(queue, None, stop)
        except BaseException as exc:  # handed to the consumer and raised there
            _offer(queue, exc, stop)
        finally:  # an earlier stage feeding this one stops with it
            close = getattr(items, "close", None)
            if close is not None:
                close()

    threading.Thread(target=fill, name="ingest-read-ahead", daemon=True).start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _offer(queue: Queue[Any], item: object, stop: threading.Event) -> bool:
    """Put `item` unless the consumer has gone (False then)."""
    while not stop.is_set():
        try:
            queue.put(item, timeout=0.1)
            return True
        except Full:
            continue
    return False


class Lines:
    """A block of whole lines whose first line has number `first` (1-based)."""

    def __init__(self, block: bytes, first: int) -> None:
        self.block = block
        self.first = first
        self.count = _newlines(block) + (0 if not block or block.endswith(b"\n") else 1)
        self._split: list[bytes] | None = None

    def all(self) -> list[bytes]:
        if self._split is None:
            self._split = self.block.split(b"\n")[: self.count]
        return self._split

    def nonblank(self) -> Iterator[tuple[int, bytes]]:
        for index, line in enumerate(self.all()):
            if line.strip():
                yield self.first + index, line

    def numbers(self, height: int) -> pl.Series:
        """Line numbers of the `height` rows a parser produced (it skipped blank lines)."""
        if height == self.count:
            return pl.int_range(self.first, self.first + height, dtype=pl.Int64, eager=True)
        return pl.Series([n for n, _ in self.nonblank()], dtype=pl.Int64)

    def pieces(self, size: int) -> Iterator[Lines]:
        lines = self.all()
        for start in range(0, len(lines), size):
            yield Lines(b"\n".join(lines[start : start + size]) + b"\n", self.first + start)

    def raw_bytes(self, numbers: Sequence[int]) -> dict[int, bytes]:
        lines = self.all()
        return {n: lines[n - self.first] for n in numbers if 0 <= n - self.first < len(lines)}

    def text(self, numbers: list[int]) -> dict[int, str]:
        return {
            n: raw.decode("utf-8", "replace").rstrip("\r")
            for n, raw in self.raw_bytes(numbers).items()
        }
