"""Reading hourly rollups back as periods: sum, average, peak, count and last.

Periods are computed in Python from the hourly rows, with Decimal, so the answer is
exact and the same on SQLite (text decimals) and PostgreSQL. Every read goes through
`core.usage.combine`: a gauge of a customer with several usage ids is figured per id
first, then combined across them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.models import Aggregation, Dimension, HourlyRollup, RatingPeriod
from core.periods import HOUR, Period, day_floor, day_of
from core.usage.combine import combined

ZERO = Decimal(0)


class RollupRow(Protocol):
    """What folding needs of an hourly rollup: a table row or a lighter selected row."""

    @property
    def customer_id(self) -> int: ...
    @property
    def dimension_id(self) -> int: ...
    @property
    def hour(self) -> datetime: ...
    @property
    def sum(self) -> Decimal: ...
    @property
    def count(self) -> int: ...
    @property
    def max(self) -> Decimal | None: ...
    @property
    def last(self) -> Decimal | None: ...
    @property
    def last_at(self) -> datetime | None: ...


# Selecting columns rather than whole ORM objects reads a month of rollups several
# times faster; the rows still carry every attribute folding uses.
ROLLUP_COLUMNS: tuple[Any, ...] = (
    HourlyRollup.customer_id,
    HourlyRollup.dimension_id,
    HourlyRollup.hour,
    HourlyRollup.sum,
    HourlyRollup.count,
    HourlyRollup.max,
    HourlyRollup.last,
    HourlyRollup.last_at,
)


@dataclass(frozen=True)
class PeriodUsage:
    """A dimension's usage over a period. `hours` is how many hours `avg` is spread over."""

    sum: Decimal = ZERO
    avg: Decimal = ZERO
    peak: Decimal = ZERO
    count: int = 0
    last: Decimal = ZERO
    hours: int = 0


def hour_value(row: RollupRow, aggregation: str) -> Decimal:
    """One hour's figure under the dimension's aggregation."""
    if aggregation == Aggregation.AVG:
        return row.sum / row.count if row.count else ZERO
    if aggregation == Aggregation.PEAK:
        return row.max if row.max is not None else ZERO
    if aggregation == Aggregation.COUNT:
        return Decimal(row.count)
    if aggregation == Aggregation.LAST:
        return row.last if row.last is not None else ZERO
    return row.sum


def summarize(rows: Iterable[RollupRow], period: Period, as_of: datetime | None) -> PeriodUsage:
    """Fold a period's hourly rows. Empty hours count as zero in the average, over the
    hours that have elapsed by `as_of` (the whole period when `as_of` is None)."""
    rows = sorted(rows, key=lambda r: r.hour)
    if not rows:
        return PeriodUsage(hours=_elapsed_hours(period, as_of, None))
    hours = _elapsed_hours(period, as_of, rows[-1].hour)
    latest = max(rows, key=lambda r: (r.last_at or r.hour, r.hour))
    return PeriodUsage(
        sum=sum((r.sum for r in rows), ZERO),
        avg=sum((hour_value(r, Aggregation.AVG) for r in rows), ZERO) / hours,
        peak=max((r.max for r in rows if r.max is not None), default=ZERO),
        count=sum(r.count for r in rows),
        last=latest.last if latest.last is not None else ZERO,
        hours=hours,
    )


def _elapsed_hours(period: Period, as_of: datetime | None, last_hour: datetime | None) -> int:
    hours = period.clipped(as_of).hours if as_of is not None else period.hours
    if last_hour is not None:
        hours = max(hours, int((last_hour - period.start) / HOUR) + 1)
    return hours


def aggregate(usage: PeriodUsage, aggregation: str) -> Decimal:
    """The period's quantity under a dimension's aggregation rule."""
    return {
        Aggregation.SUM: usage.sum,
        Aggregation.AVG: usage.avg,
        Aggregation.PEAK: usage.peak,
        Aggregation.COUNT: Decimal(usage.count),
        Aggregation.LAST: usage.last,
    }[Aggregation(aggregation)]


def _rows(session: Session, period: Period, **match: int) -> Sequence[RollupRow]:
    query: Any = sa_select(*ROLLUP_COLUMNS).where(
        col(HourlyRollup.hour) >= period.start, col(HourlyRollup.hour) < period.end
    )
    for name, value in match.items():
        query = query.where(getattr(HourlyRollup, name) == value)
    return cast(Sequence[RollupRow], combined(session, session.execute(query).all()))


def grouped_rows(
    session: Session,
    period: Period,
    *,
    customer_ids: Iterable[int] | None = None,
    dimension_ids: Iterable[int] | None = None,
) -> dict[tuple[int, int], list[RollupRow]]:
    """(customer id, dimension id) -> its rows in the period, optionally for only some
    customers or dimensions, in one query."""
    query: Any = sa_select(*ROLLUP_COLUMNS).where(
        col(HourlyRollup.hour) >= period.start, col(HourlyRollup.hour) < period.end
    )
    if customer_ids is not None:
        query = query.where(col(HourlyRollup.customer_id).in_(list(customer_ids)))
    if dimension_ids is not None:
        query = query.where(col(HourlyRollup.dimension_id).in_(list(dimension_ids)))
    grouped: dict[tuple[int, int], list[RollupRow]] = {}
    for row in combined(session, session.execute(query).all()):
        grouped.setdefault((row.customer_id, row.dimension_id), []).append(cast(RollupRow, row))
    return grouped


def period_usage(
    session: Session,
    *,
    customer_id: int,
    dimension_id: int,
    period: Period,
    as_of: datetime | None = None,
) -> PeriodUsage:
    rows = _rows(session, period, customer_id=customer_id, dimension_id=dimension_id)
    return summarize(rows, period, as_of)


def usage_for_all(
    session: Session, *, period: Period, as_of: datetime | None = None
) -> dict[tuple[int, int], PeriodUsage]:
    """(customer id, dimension id) -> usage, for everything used in the period."""
    grouped = grouped_rows(session, period)
    return {key: summarize(rows, period, as_of) for key, rows in grouped.items()}


def hourly_series(
    session: Session,
    *,
    customer_id: int,
    dimension_id: int,
    period: Period,
    aggregation: str = Aggregation.SUM,
) -> list[tuple[datetime, Decimal]]:
    """Every hour of the period with its figure (zero where nothing was recorded)."""
    rows = _rows(session, period, customer_id=customer_id, dimension_id=dimension_id)
    by_hour = {row.hour: hour_value(row, aggregation) for row in rows}
    return [
        (period.start + i * HOUR, by_hour.get(period.start + i * HOUR, ZERO))
        for i in range(period.hours)
    ]


def in_units(value: Decimal, dimension: Dimension) -> Decimal:
    """A raw rollup figure in the dimension's unit (GB written -> TB billed).

    Rollups keep what the product wrote; every reader that shows, prices or meters a
    quantity converts here, so all of them agree. A count is a number of records and
    is never scaled.
    """
    if dimension.aggregation == Aggregation.COUNT:
        return value
    return value * dimension.unit_scale


def billed(
    rows: Iterable[RollupRow], dimension: Dimension, period: Period, as_of: datetime | None
) -> Decimal:
    """The dimension's quantity over `period`, in its unit: the aggregation applied per
    rating period and the periods added up (a month's average storage is TB-months, a
    daily peak summed over the days is node-days, hourly figures are summed)."""
    agg, rows = dimension.aggregation, list(rows)
    if dimension.rating_period == RatingPeriod.MONTH or agg in (Aggregation.SUM, Aggregation.COUNT):
        raw = aggregate(summarize(rows, period, as_of), agg)
    elif dimension.rating_period == RatingPeriod.DAY:
        by_day: dict[datetime, list[RollupRow]] = {}
        for row in rows:
            by_day.setdefault(day_floor(row.hour), []).append(row)
        raw = sum((aggregate(summarize(r, day_of(d), as_of), agg) for d, r in by_day.items()), ZERO)
    else:
        raw = sum((hour_value(row, agg) for row in rows), ZERO)
    return in_units(raw, dimension)


def billed_usage(
    session: Session,
    *,
    customer_id: int,
    dimension: Dimension,
    period: Period,
    as_of: datetime | None = None,
) -> Decimal:
    """`billed` over the customer's rollups for `period`."""
    assert dimension.id is not None
    rows = _rows(session, period, customer_id=customer_id, dimension_id=dimension.id)
    return billed(rows, dimension, period, as_of)
