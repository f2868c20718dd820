"""What people see of AWS's agreements: where a contract comes from, how AWS's terms
differ from the plans file, AWS's price for an estimate, and what ends soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from core.agreements.contracts import plans_contract
from core.customers.lookup import contract_at
from core.errors import NotFound
from core.formatting import price, quantity, round_money
from core.models import (
    Contract,
    ContractKind,
    ContractRate,
    Customer,
    Dimension,
    Entitlement,
    EntitlementPeriod,
)
from core.periods import Period, hour_floor, month_of
from core.plans.versions import plan_version_at, prices_of
from core.usage.rollups import billed_usage

ZERO = Decimal(0)
SOON = timedelta(days=30)


@dataclass(frozen=True)
class Ending:
    customer: str
    ends_at: datetime
    source: str
    kind: str


def contract_source(contract: Contract) -> str:
    if contract.agreement_id:
        return f"AWS agreement {contract.agreement_id}"
    return "plans file"


def differences(session: Session, contract: Contract, *, now: datetime) -> list[str]:
    """How an AWS contract's entitlements and prices differ from the plans file's."""
    if not contract.agreement_id:
        return []
    customer = session.get(Customer, contract.customer_id)
    plans = plans_contract(session, customer, now) if customer else None
    if plans is None:
        return []
    names = {d.id: d.key for d in session.exec(select(Dimension))}
    return _entitlement_differences(session, contract, plans, names) + _price_differences(
        session, contract, plans, names, now
    )


def _entitlement_differences(
    session: Session, aws: Contract, plans: Contract, names: dict[int | None, str]
) -> list[str]:
    mine = _entitled(session, aws)
    theirs = _entitled(session, plans)
    return [
        f"{names.get(dim, dim)}: AWS entitles {quantity(qty)}, the plans file "
        f"{quantity(theirs[dim])}"
        for dim, qty in sorted(mine.items())
        if dim in theirs and theirs[dim] != qty
    ]


def _price_differences(
    session: Session, aws: Contract, plans: Contract, names: dict[int | None, str], now: datetime
) -> list[str]:
    try:
        version = plan_version_at(session, plan_id=plans.plan_id, at=now)
    except NotFound:
        return []
    assert version.id is not None
    prices = prices_of(session, version_id=version.id)
    found = []
    for rate in session.exec(select(ContractRate).where(ContractRate.contract_id == aws.id)):
        planned = prices.get(rate.dimension_id)
        if planned is not None and (planned.unit_price != rate.price or planned.tiers):
            theirs = "tiered" if planned.tiers else price(planned.unit_price)
            found.append(
                f"{names.get(rate.dimension_id, rate.dimension_id)}: AWS price "
                f"{price(rate.price)} {rate.currency}, the plans file {theirs}"
            )
    return found


def _entitled(session: Session, contract: Contract) -> dict[int, Decimal]:
    query = select(Entitlement).where(Entitlement.contract_id == contract.id)
    return {e.dimension_id: e.quantity for e in session.exec(query)}


def aws_estimate(
    session: Session, *, customer_id: int, dimension_id: int, quantity: Decimal, at: datetime
) -> tuple[Decimal, str] | None:
    """(what `quantity` more would cost at AWS's rate card, currency); None without one."""
    contract = contract_at(session, customer_id=customer_id, at=at)
    if contract is None or not contract.agreement_id:
        return None
    rate = session.exec(
        select(ContractRate).where(
            ContractRate.contract_id == contract.id, ContractRate.dimension_id == dimension_id
        )
    ).first()
    dimension = session.get(Dimension, dimension_id)
    if rate is None or dimension is None:
        return None
    allowance, period = _allowance(session, contract, dimension, at)
    used = billed_usage(
        session, customer_id=customer_id, dimension=dimension, period=period, as_of=at
    )
    beyond = max(ZERO, used + quantity - allowance) - max(ZERO, used - allowance)
    return round_money(beyond * rate.price, rate.currency), rate.currency


def _allowance(
    session: Session, contract: Contract, dimension: Dimension, at: datetime
) -> tuple[Decimal, Period]:
    entitlement = session.exec(
        select(Entitlement).where(
            Entitlement.contract_id == contract.id, Entitlement.dimension_id == dimension.id
        )
    ).first()
    month = month_of(at)
    if entitlement is None or contract.kind != ContractKind.CONTRACT:
        return ZERO, month
    if entitlement.period == EntitlementPeriod.TERM:
        start = hour_floor(contract.term_starts_at or contract.starts_at)
        return entitlement.quantity, Period(start, month.end)
    return entitlement.quantity, month


def ending_soon(session: Session, *, now: datetime, within: timedelta = SOON) -> list[Ending]:
    """Contracts in force now that end within `within`, soonest first."""
    query = (
        select(Contract, Customer)
        .join(Customer, col(Customer.id) == Contract.customer_id)
        .where(col(Contract.starts_at) <= now, col(Contract.ends_at) > now)
        .where(col(Contract.ends_at) <= now + within, col(Customer.active))
        .order_by(col(Contract.ends_at))
    )
    found = []
    for contract, customer in session.exec(query):
        in_force = contract_at(session, customer_id=customer.id or 0, at=now) == contract
        if in_force and not _continued(session, contract):
            assert contract.ends_at is not None
            found.append(
                Ending(customer.name, contract.ends_at, contract_source(contract), contract.kind)
            )
    return found


def _continued(session: Session, contract: Contract) -> bool:
    """Whether another contract of the customer takes over where this one ends (a renewal,
    an amendment dated from a month not yet invoiced)."""
    query = select(Contract.id).where(
        Contract.customer_id == contract.customer_id, Contract.starts_at == contract.ends_at
    )
    return session.exec(query).first() is not None
