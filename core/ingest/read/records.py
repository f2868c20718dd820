"""The record format: its fields, the reasons a line is refused, and the shape every
format is read into (line number plus the four fields as text).

Nothing here loads Polars, so a pass that finds nothing new to read starts without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import polars as pl

FIELDS = ("timestamp", "customer", "dimension", "quantity")
DEFAULT_MAX_AGE = timedelta(days=62)  # older records are quarantined (too_old)
CHUNK_BYTES = 24 * 2**20  # an object is read this much at a time

# Every reason a line can be quarantined for (reports list them in this order).
REASONS = (
    "malformed",
    "missing_field",
    "bad_timestamp",
    "future_timestamp",
    "too_old",
    "unknown_dimension",
    "non_numeric_quantity",
    "negative_quantity",
    "reuploaded",
)
T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in runs of `size` (itertools.batched arrives only in Python 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _no_raw(lines: list[int]) -> dict[int, str]:
    return {}


@dataclass
class Chunk:
    """Records of one chunk, the lines that are not records, and the text of any line."""

    frame: pl.DataFrame  # line (Int64) + FIELDS as text, null when absent
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (line, raw text)
    raw: Callable[[list[int]], dict[int, str]] = _no_raw


def default_fields() -> dict[str, str]:
    """The record format's own names: no mapping."""
    return {name: name for name in FIELDS}
