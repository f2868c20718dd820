"""The tables aggregates are merged into, as the rollup writer and its SQL see them."""

from __future__ import annotations

from dataclasses import dataclass

from core.ingest.read.aggregate import ROLLUP_KEY, UNMATCHED_KEY

VALUES = ("sum", "count", "min", "max", "last", "last_at")


@dataclass(frozen=True)
class Target:
    table: str
    keys: tuple[str, ...]
    references: tuple[tuple[str, str], ...]  # (column, table whose id it holds)
    # Unmatched rows already moved to a customer start over with new usage.
    reopens: bool = False


_CUSTOMER = ("customer_id", "customer")
_DIMENSION = ("dimension_id", "dimension")
ROLLUPS = Target("hourlyrollup", ROLLUP_KEY, (_CUSTOMER, _DIMENSION))
UNMATCHED = Target("unmatchedusage", UNMATCHED_KEY, (_DIMENSION,), reopens=True)
BY_USAGE_ID = Target(
    "usageidrollup", ("customer_id", "usage_id", "dimension_id", "hour"), (_CUSTOMER, _DIMENSION)
)
