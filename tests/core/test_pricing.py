"""Pricing: exact Decimal arithmetic, inclusive tier boundaries, rounding once per line."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.billing.pricing import (
    PriceSpec,
    Tier,
    charge,
    graduated,
    graduated_breakdown,
    minimum_true_up,
    volume,
)
from core.formatting import round_money

D = Decimal
TIERS = (Tier(D(100), D("0.50")), Tier(D(1000), D("0.40"), D(10)), Tier(None, D("0.25")))

quantities = st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False)
prices = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(set(draw(st.lists(st.integers(1, 10**6), min_size=0, max_size=4))))
    tops: list[Decimal | None] = [D(b) for b in bounds] + [None]
    return tuple(Tier(top, draw(prices), draw(prices)) for top in tops)


def test_graduated_prices_each_tier_and_its_flat_fee():
    # 100 x 0.50 + (10 + 900 x 0.40) + 500 x 0.25
    assert graduated(D(1500), TIERS) == D(50) + D(370) + D(125)


def test_tier_boundary_is_inclusive():
    # Exactly at up_to the next tier (and its flat fee) is not entered.
    assert graduated(D(100), TIERS) == D(50)
    assert [c.quantity for c in graduated_breakdown(D(100), TIERS)] == [D(100)]
    assert graduated(D("100.000001"), TIERS) == D(50) + D(10) + D("0.0000004")
    assert volume(D(100), TIERS) == D(50)
    assert volume(D("100.5"), TIERS) == D("100.5") * D("0.40") + D(10)


def test_volume_prices_every_unit_at_the_tier_reached():
    assert volume(D(1001), TIERS) == D(1001) * D("0.25")
    assert volume(D(0), TIERS) == 0


def test_no_float_errors():
    spec = PriceSpec(unit_price=D("0.1"))
    assert charge(spec, D(3)).amount == D("0.3")
    assert charge(PriceSpec(unit_price=D(1)), D("0.1") + D("0.2")).amount == D("0.3")
    assert round_money(D("0.1") + D("0.2"), "USD") == D("0.30")


def test_rounding_half_up_to_the_currency_minor_unit():
    assert round_money(D("2.675"), "USD") == D("2.68")  # a float would give 2.67
    assert round_money(D("2.665"), "EUR") == D("2.67")
    assert round_money(D("1234.5"), "JPY") == D(1235)
    assert round_money(D("1.0005"), "KWD") == D("1.001")


def test_included_is_subtracted_first():
    spec = PriceSpec(model="graduated", tiers=TIERS, included=D(50))
    priced = charge(spec, D(150))
    assert priced.billable == D(100)
    assert priced.amount == D(50)


def test_minimum_commitment_true_up():
    assert minimum_true_up(D("4043.50"), D(5000)) == D("956.50")
    assert minimum_true_up(D(6000), D(5000)) == 0


def test_rounding_once_per_line_not_per_hour():
    # 744 hours of 0.001 units at 0.004 each: per hour that rounds to 0.00 every time.
    hourly = [D("0.001")] * 744
    spec = PriceSpec(unit_price=D("4"))
    per_hour = sum(round_money(charge(spec, q).amount, "USD") for q in hourly)
    once = round_money(charge(spec, sum(hourly, D(0))).amount, "USD")
    assert (per_hour, once) == (D(0), D("2.98"))


@given(tier_lists(), quantities, quantities)
def test_graduated_is_monotonic(tiers, a, b):
    low, high = sorted((a, b))
    assert graduated(low, tiers) <= graduated(high, tiers)


@given(tier_lists(), quantities)
def test_graduated_equals_the_sum_of_its_tiers(tiers, quantity):
    parts = graduated_breakdown(quantity, tiers)
    assert sum((p.quantity for p in parts), D(0)) == quantity
    assert graduated(quantity, tiers) == sum(
        (p.quantity * p.unit_price + p.flat_fee for p in parts), D(0)
    )


@given(tier_lists(), quantities, quantities, st.sampled_from(["per_unit", "graduated", "volume"]))
def test_included_quantity_never_gives_a_negative_charge(tiers, quantity, included, model):
    spec = PriceSpec(model=model, unit_price=D("0.3"), tiers=tiers, included=included)
    priced = charge(spec, quantity)
    assert priced.billable >= 0
    assert priced.amount >= 0
    if quantity <= included:
        assert priced.amount == 0


@given(tier_lists(), quantities)
def test_volume_is_never_below_zero(tiers, quantity):
    assert volume(quantity, tiers) >= 0


@given(st.lists(quantities, min_size=1, max_size=50), prices)
def test_one_rounding_is_within_half_a_cent_of_exact(hours, unit_price):
    exact = sum((q * unit_price for q in hours), D(0))
    assert abs(round_money(exact, "USD") - exact) <= D("0.005")
