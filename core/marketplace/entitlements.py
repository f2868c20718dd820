"""Contracts: only usage beyond the prepaid entitlement is metered.

For a flow (sum, count) the entitlement is a pool for its period (a calendar month, or the
contract's term): each period bills what takes the pool's running total past the
entitlement, so late usage anywhere in the pool is judged against the whole pool. For a
level (average, peak, last) the entitlement is an allowance per rating period: a period
bills what it stands above the entitlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.customers.lookup import latest_in_force
from core.models import (
    Aggregation,
    Contract,
    ContractKind,
    Dimension,
    Entitlement,
    EntitlementPeriod,
)
from core.models.ledger import MeteredUsage
from core.periods import Period, month_of

ZERO = Decimal(0)
FLOWS = {Aggregation.SUM, Aggregation.COUNT}
FOREVER = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Allowance:
    quantity: Decimal
    pool: Period | None  # the entitlement period for a flow; None: per rating period


class Contracts:
    """Every contract and entitlement, loaded once for a pass."""

    def __init__(self, session: Session) -> None:
        self._contracts: dict[int, list[Contract]] = {}
        for contract in session.exec(select(Contract)).all():
            self._contracts.setdefault(contract.customer_id, []).append(contract)
        self._entitled: dict[tuple[int, int], Entitlement] = {
            (e.contract_id, e.dimension_id): e for e in session.exec(select(Entitlement)).all()
        }

    def has_any(self, customer_id: int) -> bool:
        return customer_id in self._contracts

    def contract_at(self, customer_id: int, at: datetime) -> Contract | None:
        """The contract in force at `at`, by customers.lookup's rule."""
        return latest_in_force(self._contracts.get(customer_id, []), at)

    def allowance(self, customer_id: int, dimension: Dimension, at: datetime) -> Allowance | None:
        contract = self.contract_at(customer_id, at)
        if contract is None or contract.kind != ContractKind.CONTRACT:
            return None
        entitlement = self._entitled.get((contract.id or 0, dimension.id or 0))
        if entitlement is None:
            return None
        if dimension.aggregation not in FLOWS:
            return Allowance(entitlement.quantity, None)
        if entitlement.period == EntitlementPeriod.TERM:
            # An amended agreement's versions share one pool from the agreement's start.
            pool = Period(
                contract.term_starts_at or contract.starts_at, contract.ends_at or FOREVER
            )
        else:
            pool = month_of(at)
        return Allowance(entitlement.quantity, pool)


def pool_totals(
    session: Session, *, customer_id: int, dimension_id: int, pool: Period
) -> tuple[Decimal, Decimal]:
    """(units, billable) already accounted in the pool."""
    rows = session.exec(
        select(MeteredUsage).where(
            MeteredUsage.customer_id == customer_id,
            MeteredUsage.dimension_id == dimension_id,
            col(MeteredUsage.period_start) >= pool.start,
            col(MeteredUsage.period_start) < pool.end,
        )
    ).all()
    return sum((r.units for r in rows), ZERO), sum((r.billable for r in rows), ZERO)


def billable_change(
    session: Session,
    *,
    customer_id: int,
    dimension_id: int,
    allowance: Allowance | None,
    units_change: Decimal,
    period_units: Decimal,
    period_billable: Decimal,
    unwritten: tuple[Decimal, Decimal] = (ZERO, ZERO),
) -> Decimal:
    """How much more (or less) to bill when a period's units grow by `units_change`.

    `period_units` / `period_billable` are what the period held before the change;
    the pool's totals are read as they stand before the change is written, plus
    `unwritten` (units, billable) accounted in this pass and not yet written.
    """
    if allowance is None:
        return units_change
    if allowance.pool is None:
        return max(ZERO, period_units + units_change - allowance.quantity) - period_billable
    units, billed = pool_totals(
        session, customer_id=customer_id, dimension_id=dimension_id, pool=allowance.pool
    )
    units, billed = units + unwritten[0], billed + unwritten[1]
    return max(ZERO, units + units_change - allowance.quantity) - billed
