"""Pricing: pure functions from a quantity to an amount, over Decimal only.

Nothing here rounds: an invoice applies `core.formatting.round_money` once per line:
rounding hourly pieces and adding them up drifts by cents over a month.

Tier boundaries are inclusive: a tier with `up_to: 100` holds the 100th unit, and
the next tier starts just above 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.models.catalog import PlanPrice, PriceModel

ZERO = Decimal(0)


@dataclass(frozen=True)
class Tier:
    """Units up to `up_to` (None: without limit) at `unit_price`, plus `flat_fee` once."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = ZERO


@dataclass(frozen=True)
class PriceSpec:
    """How one dimension is priced: its model, prices and the quantity included for free."""

    model: str = PriceModel.PER_UNIT
    unit_price: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()
    included: Decimal = ZERO


def price_spec(row: PlanPrice) -> PriceSpec:
    """A stored price as the pure pricing functions take it."""
    tiers = tuple(
        Tier(
            up_to=None if t.get("up_to") is None else Decimal(str(t["up_to"])),
            unit_price=Decimal(str(t.get("unit_price", "0"))),
            flat_fee=Decimal(str(t.get("flat_fee", "0"))),
        )
        for t in row.tiers or []
    )
    return PriceSpec(
        model=row.model, unit_price=row.unit_price, tiers=tiers, included=row.included_quantity
    )


@dataclass(frozen=True)
class TierCharge:
    """The part of a quantity that one tier priced, for an invoice's breakdown."""

    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Charge:
    """A priced quantity: what was billable after the included quantity, and its cost."""

    billable: Decimal
    amount: Decimal
    tiers: list[TierCharge] = field(default_factory=list)


def per_unit(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return quantity * unit_price


def after_included(quantity: Decimal, included: Decimal) -> Decimal:
    """What is left to bill once the included quantity is used up (never negative)."""
    return max(quantity - included, ZERO)


def graduated_breakdown(quantity: Decimal, tiers: Sequence[Tier]) -> list[TierCharge]:
    """Each tier prices the units that fall in it; a tier's flat fee applies once entered."""
    charges = []
    lower = ZERO
    for tier in tiers:
        if quantity <= lower:
            break
        top = quantity if tier.up_to is None else min(quantity, tier.up_to)
        units = top - lower
        amount = units * tier.unit_price + tier.flat_fee
        charges.append(TierCharge(tier.up_to, units, tier.unit_price, tier.flat_fee, amount))
        if tier.up_to is None:
            break
        lower = tier.up_to
    return charges


def graduated(quantity: Decimal, tiers: Sequence[Tier]) -> Decimal:
    return sum((c.amount for c in graduated_breakdown(quantity, tiers)), ZERO)


def volume_tier(quantity: Decimal, tiers: Sequence[Tier]) -> Tier:
    """The tier the whole quantity reaches (boundaries inclusive)."""
    for tier in tiers:
        if tier.up_to is None or quantity <= tier.up_to:
            return tier
    return tiers[-1]


def volume(quantity: Decimal, tiers: Sequence[Tier]) -> Decimal:
    """The tier reached prices every unit; nothing used costs nothing."""
    if quantity <= 0 or not tiers:
        return ZERO
    tier = volume_tier(quantity, tiers)
    return quantity * tier.unit_price + tier.flat_fee


def charge(price: PriceSpec, quantity: Decimal) -> Charge:
    """Price `quantity` of a dimension: included quantity first, then the model."""
    billable = after_included(quantity, price.included)
    if price.model == PriceModel.GRADUATED:
        tiers = graduated_breakdown(billable, price.tiers)
        return Charge(billable, sum((t.amount for t in tiers), ZERO), tiers)
    if price.model == PriceModel.VOLUME:
        amount = volume(billable, price.tiers)
        if billable <= 0:
            return Charge(billable, amount)
        tier = volume_tier(billable, price.tiers)
        return Charge(
            billable,
            amount,
            [TierCharge(tier.up_to, billable, tier.unit_price, tier.flat_fee, amount)],
        )
    return Charge(billable, per_unit(billable, price.unit_price))


def minimum_true_up(charged: Decimal, minimum: Decimal) -> Decimal:
    """What brings a period's charges up to the minimum commitment (zero if met)."""
    return max(minimum - charged, ZERO)
