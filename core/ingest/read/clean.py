"""The common case in one Polars query: group first, check the groups, not every row.

A row is clean when all four fields are present, the timestamp is ISO 8601 UTC
(`...Z`) in an hour strictly inside the accepted time range, the dimension is
known, and the quantity casts to a non-negative Decimal(38, 12). Only what must
be looked at per row is (the timestamp's spelling, the quantity's cast); all rows
are then grouped by (usage id, dimension, hour text), and the rest of the rule is
checked once per group: its dimension and hour, its minimum, and whether any of
its rows failed a per-row check. A group that fails hands all its rows, unchanged,
to validate.py, which names each bad row's quarantine reason and counts the good
ones; the split only decides which code does the work, never the result.

`last` (the latest record's quantity) needs each group's greatest time and the
last row at it, the costliest aggregation; when the chunk's timestamps are already
in order (products write them so) and of one length (so text order is time
order), it is simply each group's last row. Either way, of records at the same
time the one read last wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import polars as pl

from core.ingest.read.aggregate import TEXT_KEY, grouped, grouped_in_order
from core.ingest.read.validate import HOUR_TEXT, MAX_AHEAD, QUANTITY, time_key

# ASCII digits only ([0-9], not the Unicode-aware \d): faster, and anything else is
# left to validate.py, which reads other spellings.
_ISO_Z = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z$"
_ONE_HOUR = timedelta(hours=1)
_MAX_HOURS = 20_000  # older clean-looking rows (over two years) take the general path


@dataclass(frozen=True)
class CleanRule:
    """What a clean row may contain: the known dimension keys and the inner hours.

    Both are Polars lists (`is_in` given a Python list converts it anew on every call,
    for every chunk); the hours, up to 20,000 texts, are made once a pass."""

    dimensions: pl.Series  # one list of the keys
    hours: pl.Series  # one list of the hour texts of the hours strictly inside the range

    @classmethod
    def of(cls, dimensions: list[str], *, now: datetime, max_age: timedelta) -> CleanRule:
        """Hours whose every instant is after `now - max_age` and before `now + 1h`."""
        return cls(pl.Series(dimensions, dtype=pl.String).implode(), _inner_hours(now, max_age))


@lru_cache(maxsize=4)  # a pass reads many objects with the same range
def _inner_hours(now: datetime, max_age: timedelta) -> pl.Series:
    latest = _hour(now + MAX_AHEAD)
    hour = max(_hour(now - max_age) + _ONE_HOUR, latest - _MAX_HOURS * _ONE_HOUR)
    hours = []
    while hour < latest:
        hours.append(f"{hour:{HOUR_TEXT}}")
        hour += _ONE_HOUR
    return pl.Series(hours, dtype=pl.String).implode()


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def split_clean(
    frame: pl.DataFrame, rule: CleanRule, by: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the clean rows' aggregates by `by` + TEXT_KEY, the other rows as they came).

    `by` names columns that part the rows further (the object of a bundle)."""
    keys = (*by, *TEXT_KEY)
    text = pl.col("timestamp")
    rows = frame.lazy().with_columns(
        q=pl.col("quantity").cast(QUANTITY, strict=False),
        hour_text=text.str.slice(0, 13),
        unfit=~text.str.contains(_ISO_Z).fill_null(False),
    )
    unfit = (pl.col("unfit") | pl.col("q").is_null()).any().alias("unfit")
    if _in_time_order(frame, by):
        query = grouped_in_order(rows, keys, unfit)
    else:
        query = grouped(rows.with_columns(ts_key=time_key(text)), keys, unfit)
    groups = query.collect()
    clean = pl.all_horizontal(
        ~pl.col("unfit"),
        pl.col("customer").is_not_null(),
        pl.col("dimension").is_in(rule.dimensions),
        pl.col("hour_text").is_in(rule.hours),
        pl.col("min") >= 0,
    ).fill_null(False)
    groups = groups.with_columns(clean=clean)
    if groups["clean"].all():
        return groups.drop("unfit", "clean"), frame.clear()
    bad = groups.filter(~pl.col("clean")).select(keys)
    # In read order: it decides ties for `last` and which rejected lines are kept whole.
    rest = frame.with_columns(hour_text=text.str.slice(0, 13)).join(
        bad, on=list(keys), how="semi", nulls_equal=True, maintain_order="left"
    )
    return groups.filter("clean").drop("unfit", "clean"), rest.select(frame.columns)


def _in_time_order(frame: pl.DataFrame, by: tuple[str, ...]) -> bool:
    """Whether text order is time order for these timestamps and they are in it
    (within each run of rows with the same `by`).

    Equal lengths make it so for the clean spelling (the same number of fraction
    digits); rows of any other spelling fail the per-row check anyway."""
    timestamps = frame["timestamp"]
    if timestamps.null_count():
        return False
    lengths = timestamps.str.len_bytes()
    if lengths.min() != lengths.max():
        return False
    if not by:
        return timestamps.is_sorted()
    text = pl.col("timestamp")
    new_run = pl.any_horizontal(pl.col(name) != pl.col(name).shift(1) for name in by)
    in_order = (new_run | (text >= text.shift(1))).fill_null(True).all()
    return bool(frame.select(in_order).item())
