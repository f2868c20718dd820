"""Quantities as Marketplace takes them: `QuantityAsDecimal` strings, and what carries over.

Marketplace accepts at most 6 decimal places (and 10 integer digits). Each record sends
what the owed units allow, rounded down to 6 places (or to whole units for a dimension
configured so); the rest carries into the next record of that customer and dimension,
so what is billed over any stretch equals the usage rounded once, at the end.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

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


def check_manual(quantity: Decimal, *, whole_units: bool, unit: str = "unit") -> Decimal:
    """A hand-entered quantity, accepted only if Marketplace can take it exactly."""
    if not quantity.is_finite() or quantity < 0:
        raise InvalidInput(f"{quantity} is not a usage quantity (enter 0 or more)")
    if whole_units and quantity != quantity.to_integral_value():
        raise InvalidInput(f"this dimension is billed in whole {unit}s: enter a whole number")
    if quantity != quantity.quantize(STEP, rounding=ROUND_DOWN):
        raise InvalidInput(f"{quantity}: Marketplace takes at most 6 decimal places")
    if quantity > MAX_QUANTITY:
        raise InvalidInput(f"{quantity} is above Marketplace's largest quantity")
    return quantity
