"""The ledger's side of the money: what each agreement's month costs at AWS's rate card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, or_, select

from core.models import (
    Agreement,
    Contract,
    ContractRate,
    Customer,
    Dimension,
    LedgerStatus,
    MeteringRecord,
)
from core.periods import Period, month_label
from core.reconcile.money import Expected


@dataclass
class Priced:
    expected: Expected
    costs: list[tuple[datetime, Decimal]] = field(default_factory=list)  # (hour, cost)
    unpriced: list[str] = field(default_factory=list)  # dimensions without an AWS price


def agreements_in(session: Session, period: Period) -> list[Agreement]:
    """Agreements in force for some of the period."""
    query = (
        select(Agreement)
        .where(col(Agreement.starts_at) < period.end)
        .where(or_(col(Agreement.ends_at).is_(None), col(Agreement.ends_at) > period.start))
        .order_by(col(Agreement.agreement_id))
    )
    return list(session.exec(query).all())


def expected_cost(session: Session, agreement: Agreement, period: Period) -> Priced:
    """The accepted quantities of the period at the contract version in force each hour,
    plus the recurring fee when it is charged monthly."""
    costs, unpriced = hourly_costs(session, agreement, period)
    amount = sum((cost for _, cost in costs), Decimal(0))
    if agreement.recurring_fee and (agreement.billing_period or "").lower() == "monthly":
        amount += agreement.recurring_fee
    customer = session.get(Customer, agreement.customer_id)
    expected = Expected(
        agreement_id=agreement.agreement_id,
        customer=customer.name if customer else agreement.account_id,
        month=month_label(period),
        amount=amount,
        currency=agreement.currency,
    )
    return Priced(expected, costs, sorted(u for u in unpriced if u))


def hourly_costs(
    session: Session, agreement: Agreement, period: Period
) -> tuple[list[tuple[datetime, Decimal]], set[str]]:
    """What each accepted ledger row of the period costs at the rate card, by hour, and
    the dimensions that have no AWS price."""
    contracts = session.exec(
        select(Contract).where(Contract.agreement_id == agreement.agreement_id)
    ).all()
    ids = [c.id for c in contracts]
    rates = {
        (r.contract_id, r.dimension_id): r.price
        for r in session.exec(select(ContractRate).where(col(ContractRate.contract_id).in_(ids)))
    }
    rows = session.exec(
        select(MeteringRecord, Dimension.marketplace_key)
        .join(Dimension, col(Dimension.id) == MeteringRecord.dimension_id)
        .where(MeteringRecord.customer_id == agreement.customer_id)
        .where(MeteringRecord.status == LedgerStatus.ACCEPTED)
        .where(col(MeteringRecord.hour) >= period.start, col(MeteringRecord.hour) < period.end)
    ).all()
    costs, unpriced = [], set()
    for row, key in rows:
        contract = next((c for c in contracts if _in_force(c, row)), None)
        price = rates.get((contract.id or 0, row.dimension_id)) if contract else None
        if price is None:
            if row.quantity:  # a zero heartbeat costs nothing at any price
                unpriced.add(row.dimension_key or key)
        else:
            costs.append((row.hour, row.quantity * price))
    return costs, unpriced


def _in_force(contract: Contract, row: MeteringRecord) -> bool:
    started = contract.starts_at <= row.hour
    return started and (contract.ends_at is None or row.hour < contract.ends_at)
