"""Quantities Marketplace can take, and carry: what is billed equals the usage rounded once."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.models import Dimension
from core.quantities import (
    PATTERN,
    STEP,
    check_manual,
    parse_manual,
    quantity_text,
    split,
)


@pytest.mark.parametrize(
    ("quantity", "text"),
    [("17", "17"), ("17.000", "17"), ("1.5", "1.5"), ("0.000001", "0.000001"), ("0", "0")],
)
def test_quantity_text_is_canonical_and_matches_aws_pattern(quantity, text):
    assert quantity_text(Decimal(quantity)) == text
    assert PATTERN.match(text)


@pytest.mark.parametrize("bad", ["-1", "0.0000001", "10000000000"])
def test_quantity_text_refuses_what_marketplace_would_refuse(bad):
    with pytest.raises(ValueError):
        quantity_text(Decimal(bad))


def test_split_sends_six_places_and_carries_the_rest():
    assert split(Decimal("1.2345678"), whole_units=False) == (Decimal("1.234567"), Decimal("8E-7"))


def test_split_whole_units_carries_the_fraction():
    assert split(Decimal("2.75"), whole_units=True) == (Decimal(2), Decimal("0.75"))


def test_split_never_sends_a_negative():
    assert split(Decimal("-0.5"), whole_units=False) == (Decimal(0), Decimal("-0.5"))


usages = st.lists(
    st.decimals(min_value=0, max_value=10_000, places=9, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


@given(usages, st.booleans())
def test_billed_over_a_period_equals_usage_rounded_once(hourly, whole_units):
    carry, billed = Decimal(0), Decimal(0)
    for usage in hourly:
        sent, carry = split(usage + carry, whole_units=whole_units)
        assert PATTERN.match(quantity_text(sent))
        billed += sent
    total = sum(hourly, Decimal(0))
    assert billed == total.quantize(Decimal(1) if whole_units else STEP, rounding=ROUND_DOWN)
    assert billed + carry == total


def test_manual_quantity_is_checked_against_the_dimension():
    seat = Dimension(key="seats", name="Seats", unit="seat", whole_units=True, max_quantity=D(50))
    storage = Dimension(key="storage", name="Storage", unit="TB")
    assert check_manual(D("2.5"), storage) == D("2.5")
    with pytest.raises(InvalidInput, match="Seats is counted in whole seats"):
        check_manual(D("2.5"), seat)
    with pytest.raises(InvalidInput, match="implausibly large"):
        check_manual(D("51"), seat)
    with pytest.raises(InvalidInput, match="6 decimal"):
        check_manual(D("0.0000001"), storage)
    with pytest.raises(InvalidInput, match="cannot be negative"):
        check_manual(D("-1"), storage)
    with pytest.raises(InvalidInput, match="10 digits"):
        check_manual(D("10000000000"), storage)
    assert parse_manual(" 1,250.5 ") == D("1250.5")
    with pytest.raises(InvalidInput, match="not a number"):
        parse_manual("NaN")
