"""What a hand entry would add to the bill: the rows the confirm step shows before sending.

The estimate is optional: a plan that cannot price an entry (or an estimate that would
take too long) still lets the send go ahead, marked "estimate n/a". A customer whose AWS
agreement has a rate card is estimated at AWS's prices, marked "AWS price".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from core.agreements.overview import aws_estimate
from core.billing.invoices import estimate_charge
from core.customers.lookup import contract_at
from core.errors import MeterbotError, NotFound
from core.models import Customer, Dimension, Plan
from core.usage.manual_entry import Entry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryPreview:
    """One record to send, with its estimated extra charge."""

    customer: str
    dimension: str
    unit: str
    quantity: Decimal
    estimate: Decimal | None  # None when the estimate was not available (or not asked for)
    currency: str = "USD"
    priced_by: str = ""  # "AWS price" when AWS's rate card priced the estimate


def preview_entries(
    session: Session, entries: list[Entry], *, now: datetime, estimate: bool
) -> list[EntryPreview]:
    """The entries as the confirm step shows them; `estimate=False` skips the pricing."""
    return [_preview(session, entry, now, estimate=estimate) for entry in entries]


def _preview(session: Session, entry: Entry, now: datetime, *, estimate: bool) -> EntryPreview:
    customer = session.get(Customer, entry.customer_id)
    dim = session.get(Dimension, entry.dimension_id)
    if customer is None or dim is None:
        raise NotFound("that customer or dimension no longer exists; reopen the form")
    aws = _aws_estimate(session, entry, now) if estimate else None
    if aws is not None:
        return EntryPreview(customer.name, dim.name, dim.unit, entry.quantity, *aws, "AWS price")
    charge = _estimate(session, entry, now) if estimate else None
    contract = contract_at(session, customer_id=entry.customer_id, at=now)
    plan = session.get(Plan, contract.plan_id) if contract else None
    currency = plan.currency if plan else "USD"
    return EntryPreview(customer.name, dim.name, dim.unit, entry.quantity, charge, currency)


def _aws_estimate(session: Session, entry: Entry, now: datetime) -> tuple[Decimal, str] | None:
    """AWS's rate card prices the estimate when the customer's AWS agreement has one."""
    return aws_estimate(
        session,
        customer_id=entry.customer_id,
        dimension_id=entry.dimension_id,
        quantity=entry.quantity,
        at=now,
    )


def _estimate(session: Session, entry: Entry, now: datetime) -> Decimal | None:
    """The extra charge, or None when the plan cannot price it (the send may still go)."""
    try:
        return estimate_charge(
            session,
            customer_id=entry.customer_id,
            dimension_id=entry.dimension_id,
            quantity=entry.quantity,
            at=now,
        )
    except MeterbotError as exc:
        log.info("no estimate for %s: %s", entry, exc)
        return None
