"""What an alert rule measures: one reading per (customer, dimension) the rule concerns.

Only the dimensions named by the rule are read, and only the rollup hours its window
needs, so evaluating after every ingestion pass stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
    scope = _Scope(session, rule, now, dimensions, customers)
    if rule.kind == AlertKind.ENTITLEMENT:
        return _entitlement_readings(scope)
    if rule.kind == AlertKind.SPIKE:
        return _spike_readings(scope)
    return _threshold_readings(scope)


def _customers(session: Session, rule: AlertRule) -> dict[int | None, Customer]:
    query = select(Customer).where(col(Customer.active).is_(True))
    if rule.customer_id is not None:
        query = query.where(Customer.id == rule.customer_id)
    return {c.id: c for c in session.exec(query)}


@dataclass(frozen=True)
class _Scope:
    """What one evaluation of a rule reads: the rule's dimensions and active customers."""

    session: Session
    rule: AlertRule
    now: datetime
    dimensions: dict[int | None, Dimension]
    customers: dict[int | None, Customer]

    def rows(
        self, period: Period, dimension_ids: Iterable[int | None] | None = None
    ) -> dict[tuple[int, int], list[RollupRow]]:
        """(customer, dimension) -> its hourly rows in the period, for the rule's customer
        and dimensions (or the ones named)."""
        customers = None if self.rule.customer_id is None else [self.rule.customer_id]
        wanted = self.dimensions if dimension_ids is None else dimension_ids
        dimensions = [d for d in wanted if d is not None]
        return grouped_rows(self.session, period, customer_ids=customers, dimension_ids=dimensions)

    def pairs(self, period: Period) -> Iterator[tuple[Customer, Dimension, list[RollupRow]]]:
        """Each active (customer, dimension) of the rule with its hourly rows in the period."""
        for (customer_id, dimension_id), rows in self.rows(period).items():
            if customer_id in self.customers:
                yield self.customers[customer_id], self.dimensions[dimension_id], rows


def measured(rows: list[RollupRow], period: Period, now: datetime, dim: Dimension) -> Decimal:
    """The period's quantity so far, as billed, in the dimension's unit."""
    return billed(rows, dim, period, now)


def _threshold_readings(scope: _Scope) -> list[Reading]:
    rule, now = scope.rule, scope.now
    month = month_of(now)
    found = []
    for customer, dim, rows in scope.pairs(month):
        value = measured(rows, month, now, dim)
        crossed = value >= rule.value if rule.kind == AlertKind.AT_LEAST else value > rule.value
        detail = f"{dim.key} at {figure(value)} {dim.unit} this month (limit {figure(rule.value)})"
        found.append(Reading(customer, dim, value, crossed, detail))
    return found


def _entitlement_readings(scope: _Scope) -> list[Reading]:
    session, rule, now = scope.session, scope.rule, scope.now
    found = []
    for customer in scope.customers.values():
        contract = contract_at(session, customer_id=customer.id or 0, at=now)
        if contract is None:
            continue
        query = select(Entitlement).where(
            Entitlement.contract_id == contract.id,
            col(Entitlement.dimension_id).in_(list(scope.dimensions)),
        )
        for entitlement in session.exec(query):
            if entitlement.quantity <= 0:
                continue
            dim = scope.dimensions[entitlement.dimension_id]
            period = month_of(now)
            if entitlement.period == EntitlementPeriod.TERM:
                period = Period(contract.starts_at, hour_floor(now) + HOUR)
            rows = scope.rows(period, [dim.id]).get((customer.id or 0, dim.id or 0), [])
            value = measured(rows, period, now, dim)
            percent = value / entitlement.quantity * 100
            detail = (
                f"{dim.key} at {figure(percent)}% of the {figure(entitlement.quantity)} {dim.unit} "
                f"entitlement ({figure(value)} {dim.unit} used)"
            )
            found.append(Reading(customer, dim, percent, percent >= rule.value, detail))
    return found


def _spike_readings(scope: _Scope) -> list[Reading]:
    rule = scope.rule
    last = hour_floor(scope.now) - HOUR  # the last complete hour
    window = Period(last - rule.window_hours * HOUR, last + HOUR)
    found = []
    for customer, dim, rows in scope.pairs(window):
        by_hour = {r.hour: in_units(hour_value(r, dim.aggregation), dim) for r in rows}
        current = by_hour.pop(last, ZERO)
        average = sum(by_hour.values(), ZERO) / rule.window_hours
        crossed = average > 0 and current >= rule.value * average
        ratio = current / average if average > 0 else ZERO
        detail = (
            f"{dim.key} at {figure(current)} {dim.unit} in the hour from {last:%H:%M} UTC, "
            f"{figure(ratio)}x the {rule.window_hours}-hour average of {figure(average)}"
        )
        found.append(Reading(customer, dim, current, crossed, detail))
    return found
