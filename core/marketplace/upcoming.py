"""What the close of the open days and months will send, for a dry run to show.

Daily and monthly dimensions get their record only when the period closes, so a dry
run on the 12th shows none of the month's storage. Before going live a seller wants
to see them too: each open period's units so far, stamped with the hour the record
will carry, before entitlements and what earlier records carried over.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.formatting import quantity
from core.marketplace.identity import IdentityError, identity_for, metered_customers
from core.marketplace.usage import period_of, period_value, stamp_hour
from core.models import Customer, Dimension, Product, RatingPeriod


def at_period_close(session: Session, *, now: datetime) -> list[str]:
    """One line per Marketplace customer and daily or monthly dimension."""
    customers = metered_customers(session)
    periodic = session.exec(
        select(Dimension).where(col(Dimension.rating_period) != RatingPeriod.HOUR)
    ).all()
    products = {p.id: p for p in session.exec(select(Product)).all()}
    lines = []
    for customer in sorted(customers, key=lambda c: c.name):
        for dimension in [d for d in periodic if d.product_id == customer.product_id]:
            lines.append(_line(session, customer, dimension, products[dimension.product_id], now))
    return lines


def _line(
    session: Session, customer: Customer, dimension: Dimension, product: Product, now: datetime
) -> str:
    period = period_of(dimension, now)
    hour = stamp_hour(dimension, period)
    units = period_value(session, customer_id=customer.id or 0, dimension=dimension, period=period)
    try:
        model = identity_for(customer, product, dimension, hour).model
    except IdentityError as exc:
        model = f"cannot be sent: {exc}"
    label = (
        f"{period.start:%Y-%m-%d}"
        if dimension.rating_period == RatingPeriod.DAY
        else (f"{period.start:%Y-%m}")
    )
    return (
        f"at the close of {label}: {customer.name} {dimension.key} {hour:%Y-%m-%d %H:00}Z "
        f"{quantity(units)} {dimension.unit} so far ({model}; before entitlements)"
    )
