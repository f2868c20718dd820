"""Validating records in bulk: each row is usable or gets exactly one quarantine reason.

Vectorised in Polars. The common timestamp spelling (ISO 8601 UTC, `...Z`) is not
parsed row by row: a regular expression checks it, its first 13 characters name
the hour (parsed once per distinct hour), and without the `Z` it sorts like the
instant it names, which is all the aggregation needs (the latest record per key).
Only rows near the accepted time range's edges, and other spellings, are parsed.
Quantities become Decimal(38, 12) (the rollup columns' scale; more digits are
rounded half-even), cast from text so no float is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from core.ingest.read.records import DEFAULT_MAX_AGE, FIELDS

QUANTITY = pl.Decimal(38, 12)
MAX_AHEAD = timedelta(hours=1)
HOUR_TEXT = "%Y-%m-%dT%H"
KEY_TEXT = "%Y-%m-%dT%H:%M:%S%.6f"  # other spellings, rewritten in time_key's form


_ISO_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:[0-5]\d:[0-5]\d(\.\d{1,9})?Z$"
_ISO_OFFSET = "%Y-%m-%dT%H:%M:%S%.f%#z"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Validated:
    valid: pl.DataFrame  # customer, dimension, hour_text, ts_key (sortable time text), q
    rejected: pl.DataFrame  # line, reason


def validate(
    frame: pl.DataFrame,
    *,
    dimensions: dict[str, int],
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Validated:
    frame = _time_keys(frame)
    readable = _readable_hours(frame["hour_text"])
    quantity, quantity_reason = parse_quantities(frame["quantity"])
    frame = frame.with_columns(q=quantity, q_reason=quantity_reason)
    frame = _range_flags(frame, now + MAX_AHEAD, now - max_age)
    good = _usable(readable, list(dimensions))
    checked = frame.with_columns(good=good)
    # Select before filtering (a filter copies every column it is given), and name
    # reasons only for the rejected rows: most chunks have none.
    valid = checked.select("customer", "dimension", "hour_text", "ts_key", "q")
    if checked["good"].all():
        rejected = pl.DataFrame(schema={"line": pl.Int64, "reason": pl.String})
    else:
        valid = valid.filter(checked["good"])
        bad = checked.filter(~pl.col("good"))
        rejected = bad.select("line", _reason(readable, list(dimensions)).alias("reason"))
    return Validated(valid, rejected)


def _usable(hours: list[str], dimensions: list[str]) -> pl.Expr:
    return pl.all_horizontal(
        *(pl.col(name).is_not_null() for name in FIELDS),
        pl.col("hour_text").is_in(hours).fill_null(False),
        ~pl.col("future"),
        ~pl.col("old"),
        pl.col("dimension").is_in(dimensions).fill_null(False),
        pl.col("q_reason").is_null(),
        pl.col("q").is_not_null(),
    )


def _reason(hours: list[str], dimensions: list[str]) -> pl.Expr:
    missing = pl.any_horizontal(pl.col(name).is_null() for name in FIELDS)
    return (
        pl.when(missing)
        .then(pl.lit("missing_field"))
        .when(~pl.col("hour_text").is_in(hours).fill_null(False))
        .then(pl.lit("bad_timestamp"))
        .when(pl.col("future"))
        .then(pl.lit("future_timestamp"))
        .when(pl.col("old"))
        .then(pl.lit("too_old"))
        .when(~pl.col("dimension").is_in(dimensions))
        .then(pl.lit("unknown_dimension"))
        .when(pl.col("q_reason").is_not_null())
        .then(pl.col("q_reason"))
        .otherwise(pl.lit("non_numeric_quantity"))
    )


def _time_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """`hour_text` and `ts_key` for every row (null where the timestamp is unreadable)."""
    text = pl.col("timestamp")
    fast = text.str.contains(_ISO_Z)
    keyed = frame.with_columns(hour_text=text.str.slice(0, 13), ts_key=time_key(text), fast=fast)
    slow = keyed.filter(pl.col("fast").not_() & text.is_not_null())
    if slow.is_empty():
        return keyed.drop("fast")
    moments = parse_timestamps(slow["timestamp"])
    slow = slow.with_columns(
        hour_text=moments.dt.strftime(HOUR_TEXT), ts_key=moments.dt.strftime(KEY_TEXT)
    )
    rest = keyed.filter(pl.col("fast") | text.is_null())
    # Back in read order: it breaks ties for `last` and picks the quarantined lines kept.
    return pl.concat([rest, slow]).sort("line").drop("fast")


def time_key(iso_utc: pl.Expr) -> pl.Expr:
    """`YYYY-MM-DDTHH:MM:SS.ffffff` from ISO 8601 UTC text (`...Z`, 0 to 9 decimals):
    text order is time order, and the same microsecond is the same text."""
    text = iso_utc.str.strip_suffix("Z")
    whole = text.str.len_bytes() == len("2026-11-22T10:15:03")
    return pl.when(whole).then(text + ".").otherwise(text).str.pad_end(26, "0").str.slice(0, 26)


def _readable_hours(hour_text: pl.Series) -> list[str]:
    """The distinct hour texts that name an hour (a 13th month or a 25th hour does not),
    each parsed once."""
    readable = []
    for text in hour_text.drop_nulls().unique().to_list():
        try:
            datetime.strptime(text, HOUR_TEXT).replace(tzinfo=UTC)
        except ValueError:
            continue
        readable.append(text)
    return readable


def _range_flags(frame: pl.DataFrame, latest: datetime, earliest: datetime) -> pl.DataFrame:
    """`future` / `old` flags; only rows in the edge hours are parsed to the microsecond."""
    hour_text = pl.col("hour_text")
    edge = (hour_text >= f"{latest:{HOUR_TEXT}}") | (hour_text <= f"{earliest:{HOUR_TEXT}}")
    flagged = frame.with_columns(
        future=pl.lit(False), old=pl.lit(False), edge=edge.fill_null(False)
    )
    near = flagged.filter(pl.col("edge"))
    if near.is_empty():
        return flagged.drop("edge")
    moment = pl.col("ts_key").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
    moment = moment.dt.replace_time_zone("UTC")
    near = near.with_columns(
        future=(moment > latest).fill_null(False), old=(moment < earliest).fill_null(False)
    )
    return pl.concat([flagged.filter(~pl.col("edge")), near]).sort("line").drop("edge")


def parse_quantities(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(Decimal quantities, reason) from text: plain decimals in bulk, the rest one by one."""
    quantity = text.cast(QUANTITY, strict=False)
    lowest: Any = quantity.min()
    if quantity.null_count() == text.null_count() and (lowest is None or lowest >= 0):
        return quantity, pl.Series("q_reason", [None] * len(text), dtype=pl.String)
    odd = text.filter((quantity.is_null() | (quantity < 0)) & text.is_not_null())
    parsed = {value: _odd_quantity(value) for value in odd.unique().to_list()}
    normal = {value: plain for value, (plain, _) in parsed.items()}
    reasons = {value: reason for value, (_, reason) in parsed.items()}
    fixed = text.replace_strict(normal, default=text, return_dtype=pl.String)
    reason = text.replace_strict(reasons, default=None, return_dtype=pl.String)
    return fixed.cast(QUANTITY, strict=False), reason.alias("q_reason")


def _odd_quantity(value: str) -> tuple[str | None, str | None]:
    """A quantity Polars would not read, or a negative one: its plain text, or why not."""
    value = value.strip()
    if not _NUMBER.match(value):
        return None, "non_numeric_quantity"
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None, "non_numeric_quantity"
    if number < 0:
        return None, "negative_quantity"
    return format(number, "f"), None


def parse_timestamps(text: pl.Series) -> pl.Series:
    """UTC datetimes from other spellings: ISO 8601 with an offset or a space, Unix time."""
    # ISO 8601 with a numeric offset in bulk; Python only for what is left.
    parsed = text.str.to_datetime(_ISO_OFFSET, strict=False, time_zone="UTC", time_unit="us")
    failed = text.filter(parsed.is_null() & text.is_not_null())
    if failed.is_empty():
        return parsed
    moments = {value: _odd_timestamp(value) for value in failed.unique().to_list()}
    fallback = text.replace_strict(moments, default=None, return_dtype=pl.Datetime("us", "UTC"))
    return parsed.fill_null(fallback)


def _odd_timestamp(value: str) -> datetime | None:
    """An ISO 8601 timestamp in another spelling, or Unix seconds / milliseconds."""
    value = value.strip()
    if value.isdigit():
        seconds, millis = divmod(int(value), 1000) if len(value) >= 13 else (int(value), 0)
        try:
            return datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=millis)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
