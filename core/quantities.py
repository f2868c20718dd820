"""Quantities as Marketplace takes them: `QuantityAsDecimal` strings, what carries over,
and what a person may enter by hand.

A module of its own because both sides need it: usage checks a typed quantity against
it (the entry form, a shared file) and marketplace sends and carries by it.

Marketplace accepts at most 6 decimal places (and 10 integer digits). Each record sends
what the owed units allow, rounded down to 6 places (or to whole units for a dimension
configured so); the rest carries into the next record of that customer and dimension,
so what is billed over any stretch equals the usage rounded once, at the end.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Protocol

from core.errors import InvalidInput

ZERO = Decimal(0)
STEP = Decimal("0.000001")
WHOLE = Decimal(1)
MAX_QUANTITY = Decimal("9999999999.999999")
PATTERN = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?$")


def split(owed: Decimal, *, whole_units: bool) -> tuple[Decimal, Decimal]:
    """(quantity to send now, units carried to the next record); the two add up to `owed`.

    Nothing negative is ever sent: a negative balance (usage revised down) carries and
    reduces later records instead.
    """
    if owed <= 0:
        return ZERO, owed
    sent = min(owed.quantize(WHOLE if whole_units else STEP, rounding=ROUND_DOWN), MAX_QUANTITY)
    return sent, owed - sent


def quantity_text(quantity: Decimal) -> str:
    """The canonical `QuantityAsDecimal` string: '17', '1.5', '0.000001', '0'."""
    if quantity < 0 or quantity != quantity.quantize(STEP) or quantity > MAX_QUANTITY:
        raise ValueError(f"{quantity} is not a Marketplace quantity (0..10^10, 6 places)")
    text = format(quantity.quantize(STEP), "f").rstrip("0").rstrip(".")
    assert PATTERN.match(text), text
    return text


class Measured(Protocol):
    """What a hand-entered quantity is checked against: a dimension, or its form field."""

    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def whole_units(self) -> bool: ...
    @property
    def max_quantity(self) -> Decimal | None: ...


def parse_manual(text: str) -> Decimal:
    """The number a person typed ("1,250.5" included), or InvalidInput saying it is none."""
    try:
        quantity = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"{text!r} is not a number") from None
    if not quantity.is_finite():
        raise InvalidInput(f"{text!r} is not a number")
    return quantity


def check_manual(quantity: Decimal, dimension: Measured) -> Decimal:
    """A hand-entered quantity, accepted only if it is plausible for the dimension and
    Marketplace can take it exactly; otherwise InvalidInput with what to type instead."""
    if not quantity.is_finite():
        raise InvalidInput(f"{quantity} is not a number")
    if quantity < 0:
        raise InvalidInput("usage cannot be negative")
    if dimension.whole_units and quantity != quantity.to_integral_value():
        raise InvalidInput(
            f"{dimension.name} is counted in whole {dimension.unit}s: enter a whole number"
        )
    if dimension.max_quantity is not None and quantity > dimension.max_quantity:
        raise InvalidInput(
            f"{quantity:f} {dimension.unit} is implausibly large (at most "
            f"{dimension.max_quantity:f}); split it or raise max_quantity in the plans file"
        )
    if quantity != quantity.quantize(STEP, rounding=ROUND_DOWN):
        raise InvalidInput("Marketplace takes at most 6 decimal places")
    if quantity > MAX_QUANTITY:
        raise InvalidInput("too large for Marketplace (at most 10 digits before the decimal point)")
    return quantity
