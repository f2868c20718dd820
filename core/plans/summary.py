"""Plans as people read them: each plan's prices in force now, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from core import formatting
from core.errors import NotFound
from core.models import Dimension, Plan, PriceModel, Product
from core.plans.versions import plan_version_at, prices_of


@dataclass(frozen=True)
class PriceLine:
    dimension: str
    unit: str
    text: str  # "0.10 per TB, first 100 included"


@dataclass(frozen=True)
class PlanSummary:
    product: str
    key: str
    name: str
    currency: str
    recurring_fee: Decimal | None  # None: no version in force yet
    minimum: Decimal | None
    prices: list[PriceLine]


def plan_summaries(session: Session, *, now: datetime) -> list[PlanSummary]:
    rows = session.exec(
        select(Plan, Product)
        .join(Product, col(Product.id) == Plan.product_id)
        .order_by(col(Product.key), col(Plan.key))
    ).all()
    return [_summary(session, plan, product, now) for plan, product in rows]


def _summary(session: Session, plan: Plan, product: Product, now: datetime) -> PlanSummary:
    assert plan.id is not None
    try:
        version = plan_version_at(session, plan_id=plan.id, at=now)
    except NotFound:
        return PlanSummary(product.name, plan.key, plan.name, plan.currency, None, None, [])
    assert version.id is not None
    dims = {d.id: d for d in session.exec(select(Dimension))}
    lines = []
    for dimension_id, price in sorted(prices_of(session, version_id=version.id).items()):
        dim = dims.get(dimension_id)
        if dim is None:
            continue
        text = describe_price(price.model, price.unit_price, price.tiers, dim.unit)
        if price.included_quantity:
            text += f", first {formatting.price(price.included_quantity)} included"
        lines.append(PriceLine(dim.name, dim.unit, text))
    return PlanSummary(
        product.name,
        plan.key,
        plan.name,
        plan.currency,
        version.recurring_fee,
        version.minimum_commitment,
        lines,
    )


def describe_price(model: str, unit_price: Decimal, tiers: list[dict[str, Any]], unit: str) -> str:
    if model == PriceModel.PER_UNIT or not tiers:
        return f"{formatting.price(unit_price)} per {unit}"
    parts = []
    lower = Decimal(0)
    for tier in tiers:
        up_to = tier.get("up_to")
        span = (
            f"{formatting.price(lower)}–{formatting.price(Decimal(str(up_to)))}"
            if up_to is not None
            else f"{formatting.price(lower)}+"
        )
        fee = Decimal(str(tier.get("flat_fee", "0")))
        parts.append(
            f"{span}: {formatting.price(Decimal(str(tier.get('unit_price', '0'))))}"
            + (f" + {formatting.price(fee)} flat" if fee else "")
        )
        lower = Decimal(str(up_to)) if up_to is not None else lower
    kind = "graduated" if model == PriceModel.GRADUATED else "volume"
    return f"{kind} per {unit}: " + "; ".join(parts)
