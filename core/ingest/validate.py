"""Validating records in bulk: each row is usable or gets exactly one quarantine reason.

Vectorised in Polars for the common shapes (ISO 8601 `...Z` timestamps, plain
decimal quantities); the rare others go through Python on their distinct values.
Quantities become Decimal(38, 12) (the rollup columns' scale; more digits are
rounded half-even), parsed from text so no float is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import polars as pl

from core.ingest.records import FIELDS

QUANTITY = pl.Decimal(38, 12)
MAX_AHEAD = timedelta(hours=1)
DEFAULT_MAX_AGE = timedelta(days=62)

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

_PLAIN = r"^[0-9]+(\.[0-9]+)?$"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ISO_Z = "%Y-%m-%dT%H:%M:%S%.fZ"


@dataclass
class Validated:
    valid: pl.DataFrame  # line, customer, dimension_id, ts, hour, q
    rejected: pl.DataFrame  # line, reason


def validate(
    frame: pl.DataFrame,
    *,
    dimensions: dict[str, int],
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Validated:
    quantity, quantity_reason = parse_quantities(frame["quantity"])
    checked = frame.with_columns(
        ts=parse_timestamps(frame["timestamp"]),
        q=quantity,
        q_reason=quantity_reason,
        dimension_id=pl.col("dimension").replace_strict(
            dimensions, default=None, return_dtype=pl.Int64
        ),
    ).with_columns(reason=_reason(now, max_age))
    rejected = checked.filter(pl.col("reason").is_not_null()).select("line", "reason")
    valid = checked.filter(pl.col("reason").is_null()).select(
        "line", "customer", "dimension_id", "ts", pl.col("ts").dt.truncate("1h").alias("hour"), "q"
    )
    return Validated(valid, rejected)


def _reason(now: datetime, max_age: timedelta) -> pl.Expr:
    missing = pl.any_horizontal(pl.col(name).is_null() for name in FIELDS)
    return (
        pl.when(missing)
        .then(pl.lit("missing_field"))
        .when(pl.col("ts").is_null())
        .then(pl.lit("bad_timestamp"))
        .when(pl.col("ts") > now + MAX_AHEAD)
        .then(pl.lit("future_timestamp"))
        .when(pl.col("ts") < now - max_age)
        .then(pl.lit("too_old"))
        .when(pl.col("dimension_id").is_null())
        .then(pl.lit("unknown_dimension"))
        .when(pl.col("q_reason").is_not_null())
        .then(pl.col("q_reason"))
        .when(pl.col("q").is_null())
        .then(pl.lit("non_numeric_quantity"))
    )


def parse_quantities(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(Decimal quantities, reason) from text: plain decimals in bulk, the rest one by one."""
    text = text.str.strip_chars()
    plain = text.str.contains(_PLAIN)
    odd = text.filter(~plain & text.is_not_null()).unique().to_list()
    if not odd:
        no_reason = pl.Series("q_reason", [None] * len(text), dtype=pl.String)
        return text.cast(QUANTITY, strict=False), no_reason
    parsed = {value: _odd_quantity(value) for value in odd}
    normal = {value: plain_text for value, (plain_text, _) in parsed.items()}
    reasons = {value: reason for value, (_, reason) in parsed.items()}
    fixed = pl.select(
        pl.when(plain).then(text).otherwise(text.replace_strict(normal, default=None))
    ).to_series()
    reason = text.replace_strict(reasons, default=None, return_dtype=pl.String)
    return fixed.cast(QUANTITY, strict=False), reason.alias("q_reason")


def _odd_quantity(value: str) -> tuple[str | None, str | None]:
    """An exponent or a sign: its plain text, or why it is not a usable quantity."""
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
    """UTC datetimes; null where the text is no timestamp. `...Z` in bulk, others by value."""
    parsed = text.str.strptime(pl.Datetime("us"), _ISO_Z, strict=False, cache=False)
    parsed = parsed.dt.replace_time_zone("UTC")
    failed = text.filter(parsed.is_null() & text.is_not_null())
    if failed.is_empty():
        return parsed
    others = failed.unique().to_list()
    moments = {value: _odd_timestamp(value) for value in others}
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
