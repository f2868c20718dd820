"""Money to the currency's minor unit; quantities the same whatever database they came from."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.formatting import coded, figure, money, price, quantity, table


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (D("1234.5"), "JPY", "1,235 JPY"),
        (D("1234.5"), "USD", "$1,234.50"),
        (D("2.675"), "USD", "$2.68"),
        (D("1.0005"), "KWD", "1.001 KWD"),
        (D("-0.004"), "EUR", "-0.00 EUR"),
    ],
)
def test_money_has_the_currency_minor_unit(amount, currency, text):
    assert money(amount, currency) == text


def test_amount_after_its_code():
    assert coded(D("202"), "USD") == "USD 202.00"
    assert coded(D("1234.5"), "jpy") == "JPY 1,235"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("12.000000000000"), "12"),  # PostgreSQL NUMERIC
        (D("12"), "12"),  # SQLite
        (D("1.812680000000000000000000"), "1.81268"),
        (D("3E+2"), "300"),
        (D("0E-12"), "0"),
        (D("0.0000004"), "0"),
        (D("0.0000005"), "0.000001"),
    ],
)
def test_quantities_are_normalised(value, text):
    assert quantity(value) == text


def test_figures_and_prices():
    assert figure(D("12345.678")) == "12,345.68"
    assert figure(D("1.812680000000000000000000")) == "1.81"
    assert figure(D("12.000000000000")) == "12"
    assert price(D("0.100000000000")) == "0.1"


def test_table_aligns_columns_and_drops_trailing_spaces():
    rows = [["Item", "Amount", ""], ["Storage", "1.5", ""], ["API", "12,000", ""]]
    assert table(rows, align="<><") == ["Item     Amount", "Storage     1.5", "API      12,000"]
