"""The common case in one Polars query: rows that need no checking beyond cheap tests.

A row is clean when all four fields are present, the timestamp is ISO 8601 UTC
(`...Z`) in an hour strictly inside the accepted time range, the dimension is
known, and the quantity casts to a non-negative Decimal(38, 12). Clean rows are
validated and grouped in one lazy query, so Polars computes each column once and
fuses the filter into the group_by; every other row goes, unchanged, through
validate.py, which names its quarantine reason or reads its unusual spelling.
The two give identical aggregates for a clean row: the split only decides which
code does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import polars as pl

from core.ingest.aggregate import TEXT_KEY, aggregations
from core.ingest.validate import HOUR_TEXT, MAX_AHEAD, QUANTITY

# ASCII digits only ([0-9], not the Unicode-aware \d): faster, and anything else is
# left to validate.py, which reads other spellings.
_ISO_Z = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z$"
_ONE_HOUR = timedelta(hours=1)
_MAX_HOURS = 20_000  # older clean-looking rows (over two years) take the general path


@dataclass(frozen=True)
class CleanRule:
    """What a clean row may contain: the known dimension keys and the inner hours."""

    dimensions: list[str]
    hours: dict[str, datetime]  # hour text -> the hour, strictly inside the range

    @classmethod
    def of(cls, dimensions: list[str], *, now: datetime, max_age: timedelta) -> CleanRule:
        """Hours whose every instant is after `now - max_age` and before `now + 1h`."""
        return cls(dimensions, _inner_hours(now, max_age))


@lru_cache(maxsize=4)  # a pass reads many objects with the same range
def _inner_hours(now: datetime, max_age: timedelta) -> dict[str, datetime]:
    latest = _hour(now + MAX_AHEAD)
    hour = max(_hour(now - max_age) + _ONE_HOUR, latest - _MAX_HOURS * _ONE_HOUR)
    hours = {}
    while hour < latest:
        hours[f"{hour:{HOUR_TEXT}}"] = hour
        hour += _ONE_HOUR
    return hours


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def split_clean(frame: pl.DataFrame, rule: CleanRule) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the clean rows' aggregates by TEXT_KEY, the other rows as they came)."""
    text = pl.col("timestamp")
    clean = pl.all_horizontal(
        pl.col("customer").is_not_null(),
        pl.col("dimension").is_in(rule.dimensions),
        pl.col("hour_text").is_in(list(rule.hours)),
        text.str.contains(_ISO_Z),
        pl.col("q") >= 0,
    ).fill_null(False)
    marked = frame.lazy().with_columns(
        q=pl.col("quantity").cast(QUANTITY, strict=False), hour_text=text.str.slice(0, 13)
    )
    marked = marked.with_columns(clean=clean)
    groups = (
        marked.filter("clean")
        .with_columns(ts_key=text.str.strip_suffix("Z"))
        .group_by(TEXT_KEY)
        .agg(aggregations())
    )
    rest = marked.filter(~pl.col("clean")).select(frame.columns)
    aggregated, others = pl.collect_all([groups, rest])
    return aggregated, others
