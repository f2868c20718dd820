"""Finding a customer by any name a person might use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.customers.lookup import alias_map, contract_at, find_customer, latest_in_force
from core.errors import Ambiguous, NotFound
from core.models import Contract, Customer, CustomerAlias, Plan, Product
from core.periods import month_of


@pytest.fixture
def customers(session):
    acme = Customer(name="Acme Corp", salesforce_account_id="001A", customer_identifier="cust-acme")
    acorn = Customer(name="Acorn Labs", aws_account_id="123456789012")
    globex = Customer(name="Globex_50%", salesforce_account_id="001G")
    session.add_all([acme, acorn, globex])
    session.flush()
    session.add(CustomerAlias(customer_id=acme.id, usage_id="cluster-7"))
    session.commit()
    return acme, acorn, globex


@pytest.fixture
def plan(session):
    product = Product(key="p", name="P")
    session.add(product)
    session.flush()
    gold = Plan(key="gold", product_id=product.id, name="Gold")
    session.add(gold)
    session.flush()
    return gold


@pytest.mark.parametrize(
    "text", ["Acme Corp", "acme corp", "ACME", "acme c", "001A", "cluster-7", "cust-acme"]
)
def test_any_name_finds_the_customer(session, customers, text):
    assert find_customer(session, text).name == "Acme Corp"


def test_account_id_and_like_wildcards_are_literal(session, customers):
    assert find_customer(session, "123456789012").name == "Acorn Labs"
    assert find_customer(session, "globex_50").name == "Globex_50%"
    with pytest.raises(NotFound):
        find_customer(session, "glob%x")


def test_ambiguous_prefix_lists_the_candidates(session, customers):
    with pytest.raises(Ambiguous, match="Acme Corp, Acorn Labs"):
        find_customer(session, "ac")


def test_unknown_name_suggests_a_close_one(session, customers):
    with pytest.raises(NotFound, match="did you mean Acme Corp"):
        find_customer(session, "Acme Crop")


def test_alias_map_and_contract_at(session, customers, plan):
    acme = customers[0]
    assert alias_map(session) == {"cluster-7": acme.id}
    old = Contract(
        customer_id=acme.id,
        plan_id=plan.id,
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    new = Contract(customer_id=acme.id, plan_id=plan.id, starts_at=datetime(2026, 6, 1, tzinfo=UTC))
    session.add_all([old, new])
    session.commit()
    at = datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC)
    assert contract_at(session, customer_id=acme.id, at=at).id == old.id
    at = datetime(2026, 6, 1, tzinfo=UTC)
    assert contract_at(session, customer_id=acme.id, at=at).id == new.id
    at = datetime(2025, 12, 31, tzinfo=UTC)
    assert contract_at(session, customer_id=acme.id, at=at) is None


def test_the_contract_in_force_is_one_rule_in_sql_and_in_memory(session, customers, plan):
    """A month is priced by the latest contract running at any time in it; an instant by
    the one running then; loaded contracts give the same answer as the query."""
    acme = customers[0]
    ended = Contract(
        customer_id=acme.id,
        plan_id=plan.id,
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 5, 10, tzinfo=UTC),
    )
    session.add(ended)
    session.commit()
    loaded = [ended]
    may, june = (
        month_of(datetime(2026, 5, 1, tzinfo=UTC)),
        month_of(datetime(2026, 6, 1, tzinfo=UTC)),
    )
    late_may = datetime(2026, 5, 20, tzinfo=UTC)
    for at, expected in [(may, ended.id), (june, None), (late_may, None)]:
        found = contract_at(session, customer_id=acme.id, at=at)
        assert (found.id if found else None) == expected
        in_memory = latest_in_force(loaded, at)
        assert (in_memory.id if in_memory else None) == expected
