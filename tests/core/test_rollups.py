"""Period figures from hourly rollups: exact, UTC, month boundaries, empty hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.models import Customer, Dimension, HourlyRollup, Product
from core.periods import day_of, month_of, parse_month
from core.usage.rollups import (
    aggregate,
    billed_usage,
    hourly_series,
    in_units,
    period_usage,
    usage_for_all,
)


@pytest.fixture
def ids(session):
    product = Product(key="p", name="P")
    customer = Customer(name="Acme")
    session.add_all([product, customer])
    session.flush()
    dim = Dimension(product_id=product.id, key="storage_tb", marketplace_key="storage_tb", name="S")
    session.add(dim)
    session.commit()
    return customer.id, dim.id


def _hour(session, ids, hour, *values):
    customer_id, dimension_id = ids
    vals = [Decimal(v) for v in values]
    session.add(
        HourlyRollup(
            customer_id=customer_id,
            dimension_id=dimension_id,
            hour=hour,
            sum=sum(vals, Decimal(0)),
            count=len(vals),
            min=min(vals),
            max=max(vals),
            last=vals[-1],
            last_at=hour + timedelta(minutes=59),
        )
    )
    session.commit()


def test_month_boundary_hour_belongs_to_its_own_month(session, ids):
    _hour(session, ids, datetime(2026, 10, 31, 23, tzinfo=UTC), "1.1")
    _hour(session, ids, datetime(2026, 11, 1, 0, tzinfo=UTC), "2.2")
    october = period_usage(
        session, customer_id=ids[0], dimension_id=ids[1], period=parse_month("2026-10")
    )
    november = period_usage(
        session, customer_id=ids[0], dimension_id=ids[1], period=parse_month("2026-11")
    )
    assert (october.sum, november.sum) == (Decimal("1.1"), Decimal("2.2"))


def test_figures_are_exact_decimals(session, ids):
    hour = datetime(2026, 11, 2, 5, tzinfo=UTC)
    _hour(session, ids, hour, "0.1", "0.2", "0.000000001")
    usage = period_usage(session, customer_id=ids[0], dimension_id=ids[1], period=day_of(hour))
    assert usage.sum == Decimal("0.300000001")
    assert usage.peak == Decimal("0.2")
    assert usage.count == 3
    assert usage.last == Decimal("0.000000001")


def test_average_spreads_over_every_hour_of_a_closed_period(session, ids):
    # 10 TB stored for 12 hours of a 24-hour day averages 5 TB.
    start = datetime(2026, 11, 3, tzinfo=UTC)
    for h in range(12):
        _hour(session, ids, start + timedelta(hours=h), "10", "10")
    day = period_usage(session, customer_id=ids[0], dimension_id=ids[1], period=day_of(start))
    assert day.hours == 24
    assert day.avg == Decimal(5)
    assert aggregate(day, "avg") == Decimal(5)
    assert aggregate(day, "sum") == Decimal(240)
    assert aggregate(day, "count") == Decimal(24)


def test_average_of_an_open_period_counts_elapsed_hours(session, ids):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    _hour(session, ids, start, "30")
    as_of = start + timedelta(hours=3, minutes=10)
    month = period_usage(
        session, customer_id=ids[0], dimension_id=ids[1], period=month_of(start), as_of=as_of
    )
    assert month.hours == 3
    assert month.avg == Decimal(10)


def test_empty_period_is_zero(session, ids):
    usage = period_usage(
        session, customer_id=ids[0], dimension_id=ids[1], period=parse_month("2026-02")
    )
    assert usage.sum == usage.avg == usage.peak == Decimal(0)
    assert usage.hours == 28 * 24


def test_peak_and_last_over_a_day(session, ids):
    start = datetime(2026, 11, 4, tzinfo=UTC)
    _hour(session, ids, start + timedelta(hours=1), "7", "3")
    _hour(session, ids, start + timedelta(hours=9), "4", "2")
    day = day_of(start)
    usage = usage_for_all(session, period=day)[(ids[0], ids[1])]
    assert (usage.peak, usage.last) == (Decimal(7), Decimal(2))
    series = hourly_series(
        session, customer_id=ids[0], dimension_id=ids[1], period=day, aggregation="peak"
    )
    assert len(series) == 24
    assert series[1] == (start + timedelta(hours=1), Decimal(7))
    assert series[2][1] == Decimal(0)


def _dimension(**fields):
    defaults = {"product_id": 1, "key": "d", "marketplace_key": "d", "name": "D"}
    return Dimension(**{**defaults, **fields})


def test_billed_applies_the_rating_period_and_the_unit_scale(session, ids):
    # Records in GB, billed in TB. Day 1 peaks at 7000 GB, day 2 at 4000 GB.
    start = datetime(2026, 11, 4, tzinfo=UTC)
    _hour(session, ids, start + timedelta(hours=1), "7000", "3000")
    _hour(session, ids, start + timedelta(hours=30), "4000")
    month, gb_to_tb = month_of(start), Decimal("0.001")
    daily_peak = _dimension(id=ids[1], aggregation="peak", rating_period="day", unit_scale=gb_to_tb)
    monthly_peak = _dimension(
        id=ids[1], aggregation="peak", rating_period="month", unit_scale=gb_to_tb
    )
    hourly_sum = _dimension(id=ids[1], aggregation="sum", rating_period="hour", unit_scale=gb_to_tb)
    counted = _dimension(id=ids[1], aggregation="count", rating_period="hour", unit_scale=gb_to_tb)

    def billed_for(dimension):
        return billed_usage(session, customer_id=ids[0], dimension=dimension, period=month)

    assert billed_for(daily_peak) == Decimal(11)  # each day's peak, added up
    assert billed_for(monthly_peak) == Decimal(7)
    assert billed_for(hourly_sum) == Decimal(14)
    assert billed_for(counted) == Decimal(3)  # records are counted, never scaled
    assert in_units(Decimal(1500), hourly_sum) == Decimal("1.5")
