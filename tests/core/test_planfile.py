"""The plans file: exact numbers, and one message naming file, entry and field when wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import PlanFileError
from core.plans.file import SAMPLE_PLANS, load_plan_file, parse_plan_text

SAMPLE = SAMPLE_PLANS

GOOD = """
products:
  - key: dp
    name: Data Platform
    dimensions:
      - {key: storage_tb, aggregation: avg, rating_period: month}
      - {key: compute_hours}
plans:
  - key: gold
    product: dp
    name: Gold
    recurring_fee: 0.1
    prices:
      storage_tb: {unit_price: 50}
      compute_hours:
        model: graduated
        tiers:
          - {up_to: 100, unit_price: 0.2}
          - {unit_price: 0.1}
customers:
  - name: Acme
    usage_ids: [cl-1]
    marketplace: {customer_identifier: abc}
    contracts:
      - {plan: gold, starts: 2026-01-01, entitlements: {storage_tb: 10}}
"""


def _error(text: str) -> str:
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(text, name="plans.yml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_sample_file_is_valid():
    plan_file = load_plan_file(SAMPLE)
    assert {p.key for p in plan_file.plans} == {"standard", "gold"}
    assert len(plan_file.customers) == 12
    models = {bool(c.marketplace and c.marketplace.aws_account_id) for c in plan_file.customers}
    assert models == {True, False}  # both Marketplace models are shown


def test_numbers_are_exact_decimals_never_floats():
    plan = parse_plan_text(GOOD).plans[0]
    assert plan.recurring_fee == Decimal("0.1")
    assert str(plan.prices["compute_hours"].tiers[0].unit_price) == "0.2"
    assert parse_plan_text(GOOD.replace("0.1\n", '"0.30"\n')).plans[0].recurring_fee == Decimal(
        "0.30"
    )


def test_tier_boundaries_must_increase():
    bad = GOOD.replace("- {unit_price: 0.1}", "- {up_to: 100, unit_price: 0.1}\n          - {}")
    assert _error(bad) == (
        "plans.yml: plans[gold].prices.compute_hours.tiers[1].up_to: must be greater than 100"
    )


CASES = [
    ("name: Gold", "name: Gold\n    colour: red", "plans[gold].colour: unknown field"),
    ("recurring_fee: 0.1", "recurring_fee: -5", "plans[gold].recurring_fee: must not be neg"),
    (
        "product: dp\n    name: Gold",
        "product: dx\n    name: Gold",
        "plans[gold].product: unknown product 'dx'",
    ),
    (
        "storage_tb: {unit_price: 50}",
        "disk: {unit_price: 50}",
        "plans[gold].prices.disk: unknown dimension 'disk'",
    ),
    (
        "- {unit_price: 0.1}",
        "- {up_to: 200, unit_price: 0.1}",
        "tiers[1].up_to: the last tier must leave up_to out",
    ),
    ("recurring_fee: 0.1", "recurring_fee: abc", "plans[gold].recurring_fee: not a number"),
    (
        "recurring_fee: 0.1",
        "effective_from: 2026-11-15",
        "effective_from: must be the first day of a month",
    ),
    (
        "{customer_identifier: abc}",
        "{customer_identifier: abc, aws_account_id: '111122223333'}",
        "customers[Acme].marketplace: give customer_identifier or",
    ),
    (
        "plan: gold, starts",
        "plan: silver, starts",
        "customers[Acme].contracts[0].plan: unknown plan 'silver'",
    ),
    (
        "{storage_tb: 10}",
        "{gpu: 10}",
        "customers[Acme].contracts[0].entitlements.gpu: unknown dimension",
    ),
    ("aggregation: avg", "aggregation: median", "products[dp].dimensions[storage_tb].aggregation:"),
    (
        "{key: compute_hours}",
        "{key: compute_hours, combine: mean}",
        "products[dp].dimensions[compute_hours]: combine: mean is for gauges (avg, peak, last)",
    ),
    (
        "rating_period: month}",
        "rating_period: month, combine: median}",
        "products[dp].dimensions[storage_tb].combine:",
    ),
    ("recurring_fee: 0.1", "recurring_fee: .inf", "plans[gold].recurring_fee: not a number"),
]


@pytest.mark.parametrize(("old", "new", "expected"), CASES)
def test_a_wrong_file_names_the_entry_and_the_field(old, new, expected):
    assert old in GOOD
    message = _error(GOOD.replace(old, new))
    assert message.startswith("plans.yml: ")
    assert expected in message


def test_bad_yaml_names_the_line():
    assert _error("plans: [\n  - key: x\n").startswith("plans.yml: not valid YAML: line ")


def test_duplicate_keys_are_refused():
    assert "duplicate key 'name'" in _error("products:\n  - key: a\n    name: A\n    name: B\n")


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(PlanFileError, match=r"^nope.yml: cannot read the file"):
        load_plan_file(tmp_path / "nope.yml")


def test_an_empty_file_says_so():
    assert _error("") == "plans.yml: the file is empty (expected products, plans, customers)"


def test_account_ids_must_be_quoted():
    bad = GOOD.replace(
        "{customer_identifier: abc}",
        "{aws_account_id: 111122223333, license_arn: 'arn:aws:license-manager::1:license:l-1'}",
    )
    assert "marketplace.aws_account_id: quote it" in _error(bad)


def test_the_documented_example_is_the_shipped_sample():
    docs = Path(__file__).resolve().parents[2] / "docs" / "plans.md"
    example = docs.read_text().split("```yaml\n")[-1].split("```")[0]
    assert example == SAMPLE.read_text()


def test_a_gauge_says_how_its_usage_ids_combine():
    plans = parse_plan_text(
        GOOD.replace("rating_period: month}", "rating_period: month, combine: max}")
    )
    storage, compute = plans.products[0].dimensions
    assert (storage.combine, compute.combine) == ("max", "sum")  # sum unless said
