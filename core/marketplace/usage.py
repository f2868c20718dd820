"""Usage in a dimension's units, read from the hourly rollups, and what was already accounted.

Hourly dimensions are read in bulk (one query for every customer and hour of a pass);
daily and monthly ones period by period through `core.usage.rollups`. `unit_scale` turns raw
record quantities into billed units (a count is a number of records and is not scaled).

Units are rounded once, here, to the 12 decimal places the ledger keeps (NUMERIC(38, 12)
on PostgreSQL): an average such as 4/3 would otherwise read back from the ledger as a
different number than the rollups give, and every pass would find phantom late usage.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Context, Decimal
from typing import cast

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.models import Dimension, HourlyRollup, RatingPeriod
from core.models.ledger import MeteredUsage
from core.periods import HOUR, Period, day_of, hour_of, month_of
from core.usage.combine import combined
from core.usage.rollups import aggregate, hour_value, in_units, period_usage

ZERO = Decimal(0)
PLACES = Decimal("1E-12")  # what the ledger's decimal columns hold
_WIDE = Context(prec=50)  # room for NUMERIC(38, 12)'s largest values at 12 places
Key = tuple[int, int, datetime]  # customer id, dimension id, period start


def period_of(dimension: Dimension, moment: datetime) -> Period:
    """The rating period of `dimension` that holds `moment`."""
    if dimension.rating_period == RatingPeriod.DAY:
        return day_of(moment)
    if dimension.rating_period == RatingPeriod.MONTH:
        return month_of(moment)
    return hour_of(moment)


def stamp_hour(dimension: Dimension, period: Period) -> datetime:
    """The hour a period's record is stamped with: an hour inside the period (its last)."""
    return period.start if dimension.rating_period == RatingPeriod.HOUR else period.end - HOUR


def hourly_values(
    session: Session, *, dimensions: dict[int, Dimension], since: datetime, until: datetime
) -> dict[Key, Decimal]:
    """(customer, dimension, hour) -> units, for the hourly dimensions in [since, until)."""
    hourly = [d for d, dim in dimensions.items() if dim.rating_period == RatingPeriod.HOUR]
    if not hourly:
        return {}
    # Plain rows, not ORM objects: a pass reads up to LOOKBACK hours of every customer.
    rows = session.execute(
        sa_select(
            col(HourlyRollup.customer_id),
            col(HourlyRollup.dimension_id),
            col(HourlyRollup.hour),
            col(HourlyRollup.sum),
            col(HourlyRollup.count),
            col(HourlyRollup.max),
            col(HourlyRollup.last),
            col(HourlyRollup.last_at),
        ).where(
            col(HourlyRollup.dimension_id).in_(hourly),
            col(HourlyRollup.hour) >= since,
            col(HourlyRollup.hour) < until,
        )
    ).all()
    values = {}
    for row in combined(session, rows):
        dimension = dimensions[row.dimension_id]
        figure = hour_value(cast(HourlyRollup, row), dimension.aggregation)
        values[(row.customer_id, row.dimension_id, row.hour)] = _units(figure, dimension)
    return values


def period_value(
    session: Session, *, customer_id: int, dimension: Dimension, period: Period
) -> Decimal:
    """A whole period's units under the dimension's aggregation (daily, monthly)."""
    assert dimension.id is not None
    usage = period_usage(session, customer_id=customer_id, dimension_id=dimension.id, period=period)
    return _units(aggregate(usage, dimension.aggregation), dimension)


def _units(figure: Decimal, dimension: Dimension) -> Decimal:
    return in_units(figure, dimension).quantize(PLACES, context=_WIDE)


def accounted(
    session: Session, *, dimension_ids: list[int], since: datetime
) -> dict[Key, MeteredUsage]:
    """What earlier passes accounted, per period, from `since` on."""
    rows = session.exec(
        select(MeteredUsage).where(
            col(MeteredUsage.dimension_id).in_(dimension_ids),
            col(MeteredUsage.period_start) >= since,
        )
    ).all()
    return {(r.customer_id, r.dimension_id, r.period_start): r for r in rows}
