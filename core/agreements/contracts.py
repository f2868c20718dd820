"""An agreement's terms into contract rows: AWS's entitlements and prices, versioned.

Each agreement is one or more contract rows carrying its `agreement_id`, one per version
of its terms. Amended terms start a new version from the amendment's hour, and never
before the first month without a finalized invoice, so an invoiced month is never
rewritten. The plans file still names the plan (how dimensions aggregate, internal
prices for invoices) and may add entitlements AWS does not state; where both state one,
AWS's quantity applies and the difference is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core import formatting
from core.agreements.terms import AgreementTerms
from core.models import (
    Contract,
    ContractRate,
    Customer,
    Dimension,
    Entitlement,
    EntitlementPeriod,
    Invoice,
    Plan,
)
from core.periods import hour_floor, next_month


@dataclass
class Version:
    """What one contract row should hold (dimension ids, not AWS keys)."""

    kind: str
    ends_at: datetime | None
    entitlements: dict[int, tuple[Decimal, str]] = field(default_factory=dict)  # qty, period
    rates: dict[int, Decimal] = field(default_factory=dict)
    currency: str = "USD"


def plans_contract(session: Session, customer: Customer, at: datetime) -> Contract | None:
    """The customer's plans-file contract in force at `at` (the latest started)."""
    query = (
        select(Contract)
        .where(Contract.customer_id == customer.id, col(Contract.agreement_id).is_(None))
        .where(col(Contract.starts_at) <= at)
        .order_by(col(Contract.starts_at).desc(), col(Contract.id).desc())
    )
    return next((c for c in session.exec(query) if c.ends_at is None or c.ends_at > at), None)


def plan_for(session: Session, plans: Contract | None, product_id: int | None) -> Plan | None:
    """The plans file's plan for the customer, else the product's first plan."""
    if plans is not None:
        return session.get(Plan, plans.plan_id)
    if product_id is None:
        return None
    query = select(Plan).where(Plan.product_id == product_id).order_by(col(Plan.key))
    return session.exec(query).first()


def first_open_month(session: Session, customer_id: int) -> datetime | None:
    """The first day of the month after the customer's last finalized invoice."""
    query = select(Invoice.month).where(Invoice.customer_id == customer_id)
    months = sorted(session.exec(query))
    if not months:
        return None
    return next_month(datetime.strptime(months[-1], "%Y-%m").replace(tzinfo=UTC))


def versions(session: Session, agreement_id: str) -> list[Contract]:
    query = select(Contract).where(Contract.agreement_id == agreement_id)
    return list(session.exec(query.order_by(col(Contract.starts_at), col(Contract.id))))


def write_version(
    session: Session,
    *,
    customer: Customer,
    plan: Plan,
    terms: AgreementTerms,
    version: Version,
    now: datetime,
) -> str:
    """Make the agreement's contract rows say `version`; 'new', 'amended' or 'unchanged'."""
    assert customer.id is not None and plan.id is not None
    existing = versions(session, terms.agreement_id)
    if not existing:
        row = Contract(customer_id=customer.id, plan_id=plan.id, starts_at=terms.starts_at)
        _fill(session, row, terms, version)
        return "new"
    latest = existing[-1]
    if _holds(session, latest, version):
        latest.ends_at = version.ends_at
        return "unchanged"
    effective = _effective_from(session, terms, latest, customer.id, now)
    if effective > latest.starts_at:
        latest.ends_at = effective
        session.add(latest)
        latest = Contract(customer_id=customer.id, plan_id=plan.id, starts_at=effective)
    _fill(session, latest, terms, version)
    return "amended"


def _effective_from(
    session: Session, terms: AgreementTerms, latest: Contract, customer_id: int, now: datetime
) -> datetime:
    """The amendment's hour, but not inside an invoiced month nor before the last version."""
    candidates = [hour_floor(min(terms.updated_at, now)), latest.starts_at]
    open_month = first_open_month(session, customer_id)
    if open_month is not None:
        candidates.append(open_month)
    return max(candidates)


def _fill(session: Session, row: Contract, terms: AgreementTerms, version: Version) -> None:
    row.kind, row.ends_at = version.kind, version.ends_at
    row.agreement_id, row.term_starts_at = terms.agreement_id, terms.starts_at
    session.add(row)
    session.flush()
    assert row.id is not None
    _replace(session, Entitlement, row.id)
    _replace(session, ContractRate, row.id)
    for dimension_id, (quantity, period) in version.entitlements.items():
        session.add(
            Entitlement(
                contract_id=row.id, dimension_id=dimension_id, quantity=quantity, period=period
            )
        )
    for dimension_id, price in version.rates.items():
        rate = ContractRate(
            contract_id=row.id, dimension_id=dimension_id, price=price, currency=version.currency
        )
        session.add(rate)
    session.flush()


def _replace(
    session: Session, table: type[Entitlement] | type[ContractRate], contract_id: int
) -> None:
    for old in session.exec(select(table).where(table.contract_id == contract_id)):
        session.delete(old)
    session.flush()


def _holds(session: Session, row: Contract, version: Version) -> bool:
    """Whether the row already states the version's kind, entitlements and prices."""
    entitled = session.exec(select(Entitlement).where(Entitlement.contract_id == row.id))
    rates = session.exec(select(ContractRate).where(ContractRate.contract_id == row.id))
    return (
        row.kind == version.kind
        and {e.dimension_id: (e.quantity, e.period) for e in entitled} == version.entitlements
        and {r.dimension_id: r.price for r in rates} == version.rates
    )


def plans_entitlements(session: Session, contract: Contract | None) -> dict[int, Entitlement]:
    if contract is None:
        return {}
    query = select(Entitlement).where(Entitlement.contract_id == contract.id)
    return {e.dimension_id: e for e in session.exec(query)}


def build_version(
    terms: AgreementTerms,
    dimensions: dict[str, Dimension],
    plans: dict[int, Entitlement],
) -> tuple[Version, list[str]]:
    """AWS's terms over the plans file's entitlements; the differences as sentences."""
    version = Version(terms.kind, terms.ends_at, currency=terms.currency)
    differences: list[str] = []
    for key, quantity in terms.entitlements.items():
        dimension = dimensions.get(key)
        if dimension is None or dimension.id is None:
            continue  # reported by the sync as a dimension the plans file lacks
        stated = plans.get(dimension.id)
        period = stated.period if stated is not None else EntitlementPeriod.TERM
        version.entitlements[dimension.id] = (quantity, period)
        if stated is not None and stated.quantity != quantity:
            differences.append(
                f"{dimension.key}: AWS agreement {terms.agreement_id} entitles "
                f"{formatting.quantity(quantity)}, the plans file "
                f"{formatting.quantity(stated.quantity)}; "
                "AWS's applies"
            )
    for dimension_id, stated in plans.items():
        version.entitlements.setdefault(dimension_id, (stated.quantity, stated.period))
    for key, price in terms.rates.items():
        if key in dimensions and dimensions[key].id is not None:
            version.rates[dimensions[key].id or 0] = price
    return version, differences
