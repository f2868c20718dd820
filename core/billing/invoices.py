"""Monthly invoices: a recurring line, itemized usage lines and totals.

The plan version in force at the month's start prices the month (versions start on
a month's first day). A finalized invoice is stored and from then on shown exactly
as it was, whatever plans or late usage do later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.billing.document import InvoiceDoc, InvoiceLine, LineKind
from core.billing.format import invoice_csv, invoice_table
from core.billing.pricing import ZERO, minimum_true_up
from core.billing.rating import (
    prepaid_quantity,
    usage_line,
    with_extra,
)
from core.customers.lookup import contract_at
from core.errors import InvalidInput, NotFound
from core.formatting import round_money
from core.models import Contract, Customer, Dimension, Invoice, Plan, PlanPrice, PlanVersion
from core.periods import Period, month_label, month_of
from core.plans.versions import plan_version_at, prices_of
from core.usage.rollups import billed_usage

__all__ = [
    "InvoiceDoc",
    "build_invoice",
    "estimate_charge",
    "finalize_invoice",
    "invoice_csv",
    "invoice_table",
]


def build_invoice(
    session: Session, *, customer_id: int, period: Period, now: datetime
) -> InvoiceDoc:
    """The month's invoice: the stored one once finalized, else a draft of usage so far."""
    stored = _stored(session, customer_id=customer_id, period=period)
    if stored is not None:
        return InvoiceDoc.from_dict(stored.document)
    if period.start > now:
        raise InvalidInput(f"{month_label(period)} has not started yet")
    as_of = now if now < period.end else None
    return _draft(session, _customer(session, customer_id), period, as_of=as_of)


def finalize_invoice(
    session: Session, *, customer_id: int, period: Period, now: datetime
) -> InvoiceDoc:
    """Store the month's invoice for good (once the month is over); idempotent."""
    stored = _stored(session, customer_id=customer_id, period=period)
    if stored is not None:
        return InvoiceDoc.from_dict(stored.document)
    if now < period.end:
        raise InvalidInput(
            f"{month_label(period)} is not over yet; finalize it from {period.end:%Y-%m-%d}"
        )
    draft = _draft(session, _customer(session, customer_id), period, as_of=None)
    doc = InvoiceDoc(**{**draft.__dict__, "status": "finalized", "finalized_at": now})
    row = Invoice(
        customer_id=customer_id,
        month=doc.month,
        currency=doc.currency,
        total=doc.total,
        document=doc.to_dict(),
        finalized_at=now,
    )
    # A second process finalizing the same month at once fails on the unique
    # (customer, month) and rolls back; run again, it returns the stored invoice.
    session.add(row)
    session.flush()
    return doc


def estimate_charge(
    session: Session, *, customer_id: int, dimension_id: int, quantity: Decimal, at: datetime
) -> Decimal:
    """What `quantity` more of a dimension at `at` would add to that month's invoice total."""
    period = month_of(at)
    customer = _customer(session, customer_id)
    if contract_at(session, customer_id=customer_id, at=period) is None:
        return ZERO
    dimension = session.get(Dimension, dimension_id)
    if dimension is None:
        raise NotFound(f"no dimension #{dimension_id}")
    before = _draft(session, customer, period, as_of=at)
    current = billed_usage(
        session, customer_id=customer_id, dimension=dimension, period=period, as_of=at
    )
    extra = with_extra(
        session,
        customer_id=customer_id,
        dimension=dimension,
        period=period,
        current=current,
        extra=quantity,
        at=at,
    )
    after = _draft(session, customer, period, as_of=at, override={dimension_id: extra})
    return after.total - before.total


def _stored(session: Session, *, customer_id: int, period: Period) -> Invoice | None:
    query = select(Invoice).where(
        Invoice.customer_id == customer_id, Invoice.month == month_label(period)
    )
    return session.exec(query).first()


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer #{customer_id}")
    return customer


@dataclass(frozen=True)
class _Terms:
    """What prices a customer's month: the contract, its plan and the version in force."""

    contract: Contract
    plan: Plan
    version: PlanVersion
    prices: dict[int, PlanPrice]


def _terms(session: Session, customer: Customer, period: Period) -> _Terms:
    assert customer.id is not None
    contract = contract_at(session, customer_id=customer.id, at=period)
    if contract is None:
        label = month_label(period)
        raise NotFound(f"{customer.name} has no contract in {label}, so nothing to invoice")
    plan = session.get(Plan, contract.plan_id)
    assert plan is not None and plan.id is not None
    version = plan_version_at(session, plan_id=plan.id, at=max(period.start, contract.starts_at))
    assert version.id is not None
    return _Terms(contract, plan, version, prices_of(session, version_id=version.id))


def _usage_lines(
    session: Session,
    terms: _Terms,
    period: Period,
    *,
    as_of: datetime | None,
    override: dict[int, Decimal],
) -> list[InvoiceLine]:
    """One line per priced dimension, and per unpriced one that was used."""
    query = select(Dimension).where(Dimension.product_id == terms.plan.product_id)
    lines = []
    for dim in session.exec(query.order_by(col(Dimension.id))).all():
        assert dim.id is not None
        quantity = override.get(dim.id)
        if quantity is None:
            quantity = billed_usage(
                session,
                customer_id=terms.contract.customer_id,
                dimension=dim,
                period=period,
                as_of=as_of,
            )
        if dim.id not in terms.prices and quantity == 0:
            continue
        prepaid = prepaid_quantity(
            session, contract=terms.contract, dimension=dim, quantity=quantity, period=period
        )
        price = terms.prices.get(dim.id)
        currency = terms.plan.currency
        lines.append(usage_line(dim, price, quantity=quantity, prepaid=prepaid, currency=currency))
    return lines


def _draft(
    session: Session,
    customer: Customer,
    period: Period,
    *,
    as_of: datetime | None,
    override: dict[int, Decimal] | None = None,
) -> InvoiceDoc:
    assert customer.id is not None
    terms = _terms(session, customer, period)
    plan, version, label = terms.plan, terms.version, month_label(period)
    recurring = InvoiceLine(
        kind=LineKind.RECURRING,
        description=f"{plan.name} plan, {label}",
        amount=round_money(version.recurring_fee, plan.currency),
    )
    lines = [recurring, *_usage_lines(session, terms, period, as_of=as_of, override=override or {})]
    subtotal = sum((line.amount for line in lines), ZERO)
    true_up = round_money(minimum_true_up(subtotal, version.minimum_commitment), plan.currency)
    if true_up > 0:
        minimum = f"Minimum commitment true-up (minimum {version.minimum_commitment})"
        lines.append(InvoiceLine(kind=LineKind.MINIMUM, description=minimum, amount=true_up))
    return InvoiceDoc(
        customer_id=customer.id,
        customer=customer.name,
        month=label,
        currency=plan.currency,
        plan=plan.key,
        plan_name=plan.name,
        prices_from=f"{version.effective_from:%Y-%m-%d}",
        lines=tuple(lines),
        subtotal=subtotal,
        minimum_commitment=version.minimum_commitment,
        true_up=true_up,
        total=subtotal + true_up,
        usage_as_of=as_of,
    )
