"""The month's top customers by charges so far (their draft invoice totals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.billing.invoices import build_invoice
from core.errors import MeterbotError
from core.models import HourlyRollup
from core.periods import month_of


@dataclass(frozen=True)
class Ranked:
    customer_id: int
    name: str
    total: Decimal
    currency: str


def top_customers(session: Session, *, now: datetime, limit: int = 5) -> list[Ranked]:
    """Customers with usage this month, ranked by their invoice total so far."""
    period = month_of(now)
    with_usage = session.exec(
        select(HourlyRollup.customer_id)
        .where(col(HourlyRollup.hour) >= period.start, col(HourlyRollup.hour) < period.end)
        .distinct()
    ).all()
    ranked = []
    for customer_id in with_usage:
        try:
            doc = build_invoice(session, customer_id=customer_id, period=period, now=now)
        except MeterbotError:  # no contract or no prices this month: nothing to rank
            continue
        ranked.append(Ranked(customer_id, doc.customer, doc.total, doc.currency))
    ranked.sort(key=lambda r: (-r.total, r.name))
    return ranked[:limit]
