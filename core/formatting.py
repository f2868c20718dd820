"""How money, quantities and prices read wherever meterbot shows them: the CLI, CSV,
Slack views and digests.

One home so that a JPY amount never shows cents, and so that a quantity prints the same
whichever database it came from: PostgreSQL's NUMERIC hands back `12.000000000000`
where SQLite hands back `12`, so every figure is normalised here (no trailing zeros, no
exponent) rather than by each caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 exponents (minor units) that differ from the usual two decimals.
_EXPONENTS = {
    "BHD": 3,
    "CLP": 0,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
}
_SYMBOLS = {"USD": "$"}
# Marketplace takes 6 decimal places, so a quantity never needs more to be read exactly.
QUANTITY_PLACES = 6


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD."""
    return _EXPONENTS.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half up to the currency's minor unit (cents; whole yen)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def amount_text(amount: Decimal, currency: str) -> str:
    """The number alone, to the currency's minor unit with thousands separators: 1,234.50."""
    return f"{round_money(amount, currency):,f}"


def money(amount: Decimal, currency: str) -> str:
    """An amount for people: `$1,234.50` for dollars, `1,235 JPY` for other currencies."""
    symbol = _SYMBOLS.get(currency.upper())
    text = amount_text(amount, currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def coded(amount: Decimal, currency: str) -> str:
    """An amount after its currency code, for totals across currencies: USD 1,234.50."""
    return f"{currency.upper()} {amount_text(amount, currency)}"


def quantity(value: Decimal, *, places: int = QUANTITY_PLACES, grouped: bool = False) -> str:
    """A quantity rounded to at most `places` decimals, without trailing zeros or exponent:
    1.250000 -> 1.25, 3E+2 -> 300; `grouped` adds thousands separators (12,345.6)."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return plain(rounded, grouped=grouped)


def figure(value: Decimal) -> str:
    """A figure read at a glance (digests, alerts, the demo): at most two decimals,
    thousands grouped: 12,345.68."""
    return quantity(value, places=2, grouped=True)


def price(value: Decimal) -> str:
    """A unit price or tier bound exactly as configured, without trailing zeros: 0.001."""
    return plain(value)


def plain(value: Decimal, *, grouped: bool = False) -> str:
    """`value` in positional notation with no trailing zeros (-0 reads 0)."""
    text = f"{value.normalize():,f}" if grouped else f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def table(rows: Sequence[Sequence[str]], *, align: str) -> list[str]:
    """Fixed-width lines for a terminal or a Slack code block: each column as wide as its
    widest cell, aligned by `align` (one `<` or `>` per column), trailing spaces dropped."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(align))]
    return [
        "  ".join(
            cell.ljust(width) if how == "<" else cell.rjust(width)
            for cell, width, how in zip(row, widths, align, strict=True)
        ).rstrip()
        for row in rows
    ]
