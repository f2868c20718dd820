"""Rating a month: each dimension's billed quantity, the prepaid part, the priced line.

A dimension's aggregation is applied per rating period and the results added up
(core.usage.rollups.billed): storage averaged over the month (TB-months), a daily peak
summed over the days (node-days), hourly sums summed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from core.billing.document import InvoiceLine, LineKind
from core.billing.pricing import ZERO, charge, price_spec
from core.formatting import round_money
from core.models import (
    Aggregation,
    Contract,
    Dimension,
    Entitlement,
    EntitlementPeriod,
    PlanPrice,
    PriceModel,
    RatingPeriod,
)
from core.periods import Period, day_of, month_floor, month_of, next_month
from core.usage.rollups import billed_usage


def prepaid_quantity(
    session: Session,
    *,
    contract: Contract,
    dimension: Dimension,
    quantity: Decimal,
    period: Period,
) -> Decimal:
    """How much of `quantity` the contract's entitlement covers (already paid for)."""
    query = select(Entitlement).where(
        Entitlement.contract_id == contract.id, Entitlement.dimension_id == dimension.id
    )
    entitlement = session.exec(query).first()
    if entitlement is None:
        return ZERO
    available = entitlement.quantity
    if entitlement.period == EntitlementPeriod.TERM:
        # One quantity for the whole term: what earlier months used is gone.
        month = month_floor(contract.starts_at)
        while month < period.start:
            available -= billed_usage(
                session,
                customer_id=contract.customer_id,
                dimension=dimension,
                period=month_of(month),
            )
            month = next_month(month)
    return min(quantity, max(available, ZERO))


def usage_line(
    dimension: Dimension,
    price: PlanPrice | None,
    *,
    quantity: Decimal,
    prepaid: Decimal,
    currency: str,
) -> InvoiceLine:
    """The invoice line of one dimension, rounded once to the currency's minor unit."""
    common: dict[str, Any] = {
        "kind": LineKind.USAGE,
        "description": dimension.name,
        "dimension": dimension.key,
        "unit": dimension.unit,
        "aggregation": f"{dimension.aggregation} per {dimension.rating_period}",
        "quantity": quantity,
        "prepaid": prepaid,
    }
    if price is None:
        return InvoiceLine(amount=round_money(ZERO, currency), price_model="not in plan", **common)
    spec = price_spec(price)
    priced = charge(spec, quantity - prepaid)
    tiers = tuple(priced.tiers)
    return InvoiceLine(
        amount=round_money(priced.amount, currency),
        included=min(spec.included, quantity - prepaid),
        billable=priced.billable,
        price_model=spec.model,
        unit_price=spec.unit_price if spec.model == PriceModel.PER_UNIT else None,
        tiers=tiers,
        **common,
    )


def with_extra(
    session: Session,
    *,
    customer_id: int,
    dimension: Dimension,
    period: Period,
    current: Decimal,
    extra: Decimal,
    at: datetime,
) -> Decimal:
    """The month's quantity if `extra` more were recorded at `at` (in an hour of its own)."""
    agg, rating = dimension.aggregation, dimension.rating_period
    if agg == Aggregation.SUM or rating == RatingPeriod.HOUR:
        return current + (Decimal(1) if agg == Aggregation.COUNT else extra)
    if agg == Aggregation.COUNT:
        return current + 1
    if agg == Aggregation.AVG:
        hours = period.hours if rating == RatingPeriod.MONTH else 24
        return current + extra / hours
    if rating == RatingPeriod.MONTH:  # peak or last over the month
        return max(current, extra) if agg == Aggregation.PEAK else extra
    assert dimension.id is not None
    today = billed_usage(session, customer_id=customer_id, dimension=dimension, period=day_of(at))
    replaced = max(today, extra) if agg == Aggregation.PEAK else extra
    return current - today + replaced
