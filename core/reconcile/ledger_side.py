"""The ledger's side of a reconciliation: the rows of a period handed to Marketplace."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.models import Customer, Dimension, LedgerStatus, MeteringRecord
from core.periods import Period
from core.reconcile.records import Customers, Sent

# Rows that reached Marketplace, or may have: pending and moved rows never did.
HANDED_OVER = (
    LedgerStatus.ACCEPTED,
    LedgerStatus.DUPLICATE,
    LedgerStatus.NOT_SUBSCRIBED,
    LedgerStatus.SENT,
    LedgerStatus.FAILED,
)


def sent_in(session: Session, period: Period) -> list[Sent]:
    """Every row of the period's hours that was handed to Marketplace."""
    query = (
        select(MeteringRecord, Customer.name, Dimension.marketplace_key)
        .join(Customer, col(Customer.id) == MeteringRecord.customer_id)
        .join(Dimension, col(Dimension.id) == MeteringRecord.dimension_id)
        .where(col(MeteringRecord.hour) >= period.start, col(MeteringRecord.hour) < period.end)
        .where(col(MeteringRecord.status).in_(HANDED_OVER))
        .where(col(MeteringRecord.sent_at).is_not(None))
        .order_by(col(MeteringRecord.hour), col(MeteringRecord.id))
    )
    return [
        Sent(
            ledger_id=row.id or 0,
            customer_key=customer_key(row.customer_id),
            customer=name,
            dimension=row.dimension_key or key,
            hour=row.hour,
            quantity=row.quantity,
            status=row.status,
            metering_record_id=row.metering_record_id,
            sent_at=row.sent_at,
        )
        for row, name, key in session.exec(query).all()
    ]


def aws_customers(session: Session) -> Customers:
    """Each AWS id a customer is known by (CustomerIdentifier, account id) -> the customer."""
    known: dict[str, tuple[str, str]] = {}
    for customer in session.exec(select(Customer)).all():
        for ref in (customer.customer_identifier, customer.aws_account_id):
            if ref:
                known[ref] = (customer_key(customer.id or 0), customer.name)
    return known


def customer_key(customer_id: int) -> str:
    return f"customer-{customer_id}"
