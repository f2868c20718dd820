"""What an alert rule measures: one reading per (customer, dimension) the rule concerns.

Only the dimensions named by the rule are read, and only the rollup hours its window
needs, so evaluating after every ingestion pass stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.customers.lookup import contract_at
from core.formatting import figure
from core.models import AlertRule, Customer, Dimension, Entitlement, EntitlementPeriod
from core.models.ops_jobs import AlertKind
from core.periods import HOUR, Period, hour_floor, month_of
from core.usage.rollups import RollupRow, billed, grouped_rows, hour_value, in_units

ZERO = Decimal(0)


@dataclass(frozen=True)
class Reading:
    customer: Customer
    dimension: Dimension
    value: Decimal
    crossed: bool
    detail: str  # one line for the alert: what was measured against what


def readings(session: Session, rule: AlertRule, now: datetime) -> list[Reading]:
    dimensions = {
        d.id: d for d in session.exec(select(Dimension).where(Dimension.key == rule.dimension_key))
    }
    customers = _customers(session, rule)
    if not dimensions or not customers:
        return []
    if rule.kind == AlertKind.ENTITLEMENT:
        return _entitlement_readings(session, rule, now, dimensions, customers)
    if rule.kind == AlertKind.SPIKE:
        return _spike_readings(session, rule, now, dimensions, customers)
    return _threshold_readings(session, rule, now, dimensions, customers)


def _customers(session: Session, rule: AlertRule) -> dict[int | None, Customer]:
    query = select(Customer).where(col(Customer.active).is_(True))
    if rule.customer_id is not None:
        query = query.where(Customer.id == rule.customer_id)
    return {c.id: c for c in session.exec(query)}


def _rows(
    session: Session, period: Period, dimension_ids: Iterable[int | None], rule: AlertRule
) -> dict[tuple[int, int], list[RollupRow]]:
    """(customer, dimension) -> its hourly rows in the period, for the rule's customer."""
    customers = None if rule.customer_id is None else [rule.customer_id]
    dimensions = [d for d in dimension_ids if d is not None]
    return grouped_rows(session, period, customer_ids=customers, dimension_ids=dimensions)


def measured(rows: list[RollupRow], period: Period, now: datetime, dim: Dimension) -> Decimal:
    """The period's quantity so far, as billed, in the dimension's unit."""
    return billed(rows, dim, period, now)


def _threshold_readings(
    session: Session,
    rule: AlertRule,
    now: datetime,
    dimensions: dict[int | None, Dimension],
    customers: dict[int | None, Customer],
) -> list[Reading]:
    month = month_of(now)
    found = []
    for (customer_id, dimension_id), rows in _rows(session, month, dimensions, rule).items():
        if customer_id not in customers:
            continue
        dim = dimensions[dimension_id]
        value = measured(rows, month, now, dim)
        crossed = value >= rule.value if rule.kind == AlertKind.AT_LEAST else value > rule.value
        detail = f"{dim.key} at {figure(value)} {dim.unit} this month (limit {figure(rule.value)})"
        found.append(Reading(customers[customer_id], dim, value, crossed, detail))
    return found


def _entitlement_readings(
    session: Session,
    rule: AlertRule,
    now: datetime,
    dimensions: dict[int | None, Dimension],
    customers: dict[int | None, Customer],
) -> list[Reading]:
    found = []
    for customer in customers.values():
        contract = contract_at(session, customer_id=customer.id or 0, at=now)
        if contract is None:
            continue
        query = select(Entitlement).where(
            Entitlement.contract_id == contract.id,
            col(Entitlement.dimension_id).in_(list(dimensions)),
        )
        for entitlement in session.exec(query):
            if entitlement.quantity <= 0:
                continue
            dim = dimensions[entitlement.dimension_id]
            period = month_of(now)
            if entitlement.period == EntitlementPeriod.TERM:
                period = Period(contract.starts_at, hour_floor(now) + HOUR)
            rows = _rows(session, period, [dim.id], rule).get((customer.id or 0, dim.id or 0), [])
            value = measured(rows, period, now, dim)
            percent = value / entitlement.quantity * 100
            detail = (
                f"{dim.key} at {figure(percent)}% of the {figure(entitlement.quantity)} {dim.unit} "
                f"entitlement ({figure(value)} {dim.unit} used)"
            )
            found.append(Reading(customer, dim, percent, percent >= rule.value, detail))
    return found


def _spike_readings(
    session: Session,
    rule: AlertRule,
    now: datetime,
    dimensions: dict[int | None, Dimension],
    customers: dict[int | None, Customer],
) -> list[Reading]:
    last = hour_floor(now) - HOUR  # the last complete hour
    window = Period(last - rule.window_hours * HOUR, last + HOUR)
    found = []
    for (customer_id, dimension_id), rows in _rows(session, window, dimensions, rule).items():
        if customer_id not in customers:
            continue
        dim = dimensions[dimension_id]
        by_hour = {r.hour: in_units(hour_value(r, dim.aggregation), dim) for r in rows}
        current = by_hour.pop(last, ZERO)
        average = sum(by_hour.values(), ZERO) / rule.window_hours
        crossed = average > 0 and current >= rule.value * average
        ratio = current / average if average > 0 else ZERO
        detail = (
            f"{dim.key} at {figure(current)} {dim.unit} in the hour from {last:%H:%M} UTC, "
            f"{figure(ratio)}x the {rule.window_hours}-hour average of {figure(average)}"
        )
        found.append(Reading(customers[customer_id], dim, current, crossed, detail))
    return found
