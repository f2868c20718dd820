"""A gauge over a customer's several usage ids: figured per id first, then combined.

A customer with two clusters reports two storage gauges. Mixing their readings in one
rollup makes the hour's average the mean of both clusters, about half of what they
store together. So, per hour, a gauge (avg, peak, last) is figured for each usage id
from `UsageIdRollup` and then combined across the ids under the dimension's `combine`
rule: `sum` (the default: the clusters add up), `mean` or `max`. Sums and counts add
up whatever the ids, so they are read from the customer's rollup as they are.

An hour whose per-id rows do not account for every reading of the customer's rollup
(usage counted before per-id rollups existed, or moved in from unmatched usage) is
read from the customer's rollup as before: never a figure made of part of the usage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.models import Aggregation, Dimension, UsageIdRollup
from core.models.catalog import Combine

GAUGES = (Aggregation.AVG, Aggregation.PEAK, Aggregation.LAST)
ZERO = Decimal(0)
_Key = tuple[int, int, datetime]


@dataclass(frozen=True)
class CombinedRow:
    """An hour of a customer's gauge whose every figure is the combined one."""

    customer_id: int
    dimension_id: int
    hour: datetime
    sum: Decimal
    count: int
    min: Decimal | None
    max: Decimal | None
    last: Decimal | None
    last_at: datetime | None


def gauge_figure(row: Any, aggregation: str) -> Decimal:
    """One usage id's figure for the hour under a gauge aggregation."""
    if aggregation == Aggregation.AVG:
        return Decimal(row.sum) / row.count if row.count else ZERO
    if aggregation == Aggregation.PEAK:
        return Decimal(row.max) if row.max is not None else ZERO
    return Decimal(row.last) if row.last is not None else ZERO


def combine_figures(figures: Sequence[Decimal], rule: str) -> Decimal:
    """Several usage ids' figures for one hour as the customer's one figure."""
    if not figures:
        return ZERO
    if rule == Combine.MEAN:
        return sum(figures, ZERO) / len(figures)
    if rule == Combine.MAX:
        return max(figures)
    return sum(figures, ZERO)


def combined(session: Session, rows: Sequence[Any]) -> list[Any]:
    """`rows` (hourly rollups of customers) with gauge hours of customers that have
    several usage ids replaced by their combined figures."""
    gauges = _gauges(session, {row.dimension_id for row in rows})
    wanted = [row for row in rows if row.dimension_id in gauges]
    if not wanted:
        return list(rows)
    per_id = _per_id(session, wanted)
    if not per_id:
        return list(rows)
    out = []
    for row in rows:
        parts = per_id.get((row.customer_id, row.dimension_id, row.hour))
        if row.dimension_id in gauges and parts and sum(p.count for p in parts) == row.count:
            out.append(_combined_row(row, parts, *gauges[row.dimension_id]))
        else:
            out.append(row)
    return out


def _combined_row(row: Any, parts: list[Any], aggregation: str, rule: str) -> CombinedRow:
    figure = combine_figures([gauge_figure(p, aggregation) for p in parts], rule)
    return CombinedRow(
        customer_id=row.customer_id,
        dimension_id=row.dimension_id,
        hour=row.hour,
        sum=figure * row.count,  # so the hour's average (sum / count) is the figure
        count=row.count,
        min=figure,
        max=figure,
        last=figure,
        last_at=row.last_at,
    )


def _gauges(session: Session, dimension_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Gauge dimensions among `dimension_ids`: id -> (aggregation, combine rule)."""
    if not dimension_ids:
        return {}
    query = sa_select(col(Dimension.id), col(Dimension.aggregation), col(Dimension.combine))
    query = query.where(col(Dimension.id).in_(dimension_ids))
    return {i: (agg, rule) for i, agg, rule in session.execute(query) if agg in GAUGES}


def _per_id(session: Session, rows: list[Any]) -> dict[_Key, list[Any]]:
    hours = [row.hour for row in rows]
    query = sa_select(
        col(UsageIdRollup.customer_id),
        col(UsageIdRollup.dimension_id),
        col(UsageIdRollup.hour),
        col(UsageIdRollup.sum),
        col(UsageIdRollup.count),
        col(UsageIdRollup.max),
        col(UsageIdRollup.last),
    ).where(
        col(UsageIdRollup.hour) >= min(hours),
        col(UsageIdRollup.hour) <= max(hours),
        col(UsageIdRollup.dimension_id).in_({row.dimension_id for row in rows}),
    )
    customers = {row.customer_id for row in rows}
    if len(customers) <= 500:
        query = query.where(col(UsageIdRollup.customer_id).in_(customers))
    grouped: dict[_Key, list[Any]] = {}
    for part in session.execute(query):
        grouped.setdefault((part.customer_id, part.dimension_id, part.hour), []).append(part)
    return grouped
