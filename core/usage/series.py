"""A customer's usage over a day (hour by hour) or a month (day by day), per dimension.

Feeds `/meter usage` and its chart: the points, the unit, and the period's figure
under each dimension's own aggregation (a storage gauge averages, API calls add up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.errors import InvalidInput
from core.models import Aggregation, Customer, Dimension, LateOutcome, LateUsage
from core.periods import HOUR, Period, day_floor, day_of, hour_floor, hour_list, month_of
from core.usage.rollups import aggregate, hourly_series, period_usage

Points = list[tuple[datetime, Decimal]]
ZERO = Decimal(0)


@dataclass(frozen=True)
class DimensionSeries:
    name: str
    unit: str
    points: Points
    figure: Decimal  # the period's quantity under the dimension's aggregation
    aggregation: str
    # Usage that arrived after Marketplace's window: not billed (reported), or billed in a
    # later hour (carried); in the dimension's unit, with the hours it belongs to.
    not_billable: Decimal = ZERO
    not_billable_hours: str = ""
    carried: Decimal = ZERO


@dataclass(frozen=True)
class UsageSeries:
    customer: str
    period: Period
    granularity: str  # "day" (hourly points) or "month" (daily points)
    dimensions: list[DimensionSeries]


def usage_series(
    session: Session, *, customer: Customer, granularity: str, now: datetime
) -> UsageSeries:
    if granularity not in ("day", "month"):
        raise InvalidInput(f"{granularity!r}: say day or month")
    assert customer.id is not None
    period = day_of(now) if granularity == "day" else month_of(now)
    # Up to and including the current hour, so this morning's usage shows at 00:20 too.
    shown = Period(period.start, min(period.end, hour_floor(now) + HOUR))
    dims = session.exec(
        select(Dimension)
        .where(Dimension.product_id == customer.product_id)
        .order_by(col(Dimension.id))
    ).all()
    found = []
    for dim in dims:
        assert dim.id is not None
        hourly = hourly_series(
            session,
            customer_id=customer.id,
            dimension_id=dim.id,
            period=shown,
            aggregation=dim.aggregation,
        )
        usage = period_usage(
            session, customer_id=customer.id, dimension_id=dim.id, period=period, as_of=now
        )
        points = hourly if granularity == "day" else by_day(hourly, dim.aggregation)
        figure = aggregate(usage, dim.aggregation)
        late = _late(session, customer_id=customer.id, dimension_id=dim.id, period=period)
        found.append(DimensionSeries(dim.name, dim.unit, points, figure, dim.aggregation, *late))
    return UsageSeries(customer.name, period, granularity, found)


def _late(
    session: Session, *, customer_id: int, dimension_id: int, period: Period
) -> tuple[Decimal, str, Decimal]:
    """(units not billable, their hours, units carried into a later hour) in `period`."""
    rows = session.exec(
        select(LateUsage).where(
            LateUsage.customer_id == customer_id,
            LateUsage.dimension_id == dimension_id,
            col(LateUsage.hour) >= period.start,
            col(LateUsage.hour) < period.end,
        )
    ).all()
    reported = [r for r in rows if r.outcome == LateOutcome.REPORTED]
    carried = [r for r in rows if r.outcome == LateOutcome.CARRIED]
    return (
        sum((r.units for r in reported), ZERO),
        hour_list([r.hour for r in reported]),
        sum((r.units for r in carried), ZERO),
    )


def by_day(hourly: Points, aggregation: str) -> Points:
    """Hourly figures folded into days the way the dimension aggregates."""
    days: dict[datetime, list[Decimal]] = {}
    for hour, value in hourly:
        days.setdefault(day_floor(hour), []).append(value)
    return [(day, _fold(values, aggregation)) for day, values in sorted(days.items())]


def _fold(values: list[Decimal], aggregation: str) -> Decimal:
    if aggregation == Aggregation.AVG:
        return sum(values, ZERO) / len(values)
    if aggregation == Aggregation.PEAK:
        return max(values)
    if aggregation == Aggregation.LAST:
        nonzero = [v for v in values if v]
        return nonzero[-1] if nonzero else ZERO
    return sum(values, ZERO)
