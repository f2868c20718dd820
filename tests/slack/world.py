"""The data the Slack tests run against: one product, a plan, three customers.

The catalog is tests/worlds/slack.yml, applied as `meterbot plans apply` would; each
customer also has 1500 API calls in the last hour (of today: see `_last_hour`). Acme and
Globex are subscribed in the Marketplace stand-in; Initech's CustomerIdentifier is
unknown there, so its records come back "not subscribed" (a failure with a Retry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.models import Contract, Customer, Dimension, Product
from core.periods import day_floor, hour_floor, month_floor, previous_month
from tests.worlds.plans import apply_world, one
from tests.worlds.usage import rollup

PRODUCT_CODE = "prod-dataplat"
SUBSCRIBED = ["cust-acme", "cust-globex"]


@dataclass(frozen=True)
class World:
    product_id: int
    storage_id: int  # storage_tb: decimals allowed, at most 1000 TB an hour
    calls_id: int  # api_calls: whole units, at most 10 million an hour
    customers: dict[str, int]  # name -> id
    contracts: dict[str, int]  # customer name -> contract id


def seed(engine: Engine, *, now: datetime, extra_customers: int = 0) -> World:
    """The world as of `now`; `extra_customers` more like them (bench/slack_ack.py)."""
    names = {"Acme Corp": "cust-acme", "Globex": "cust-globex", "Initech": "cust-initech"}
    names |= {f"Customer {n:03d}": f"cust-{n:03d}" for n in range(extra_customers)}
    start = previous_month(month_floor(now)).date()
    entries = [_customer(i, name, cid, start) for i, (name, cid) in enumerate(names.items())]
    apply_world(engine, "slack.yml", now=now, customers=entries)
    with Session(engine) as session:
        product = one(session, Product, key="dataplat")
        storage = one(session, Dimension, product_id=product.id, key="storage_tb")
        calls = one(session, Dimension, product_id=product.id, key="api_calls")
        query = select(Customer.name, Customer.id, Contract.id).join(Contract)
        rows = session.exec(query.order_by(col(Customer.id))).all()
        customers = {name: customer_id or 0 for name, customer_id, _ in rows}
        contracts = {name: contract_id or 0 for name, _, contract_id in rows}
        for customer_id in customers.values():
            session.add(rollup(customer_id, calls.id, _last_hour(now), Decimal(1500)))
        session.commit()
        return World(product.id or 0, storage.id or 0, calls.id or 0, customers, contracts)


def _customer(index: int, name: str, identifier: str, start: date) -> dict[str, Any]:
    """The plans file entry of the index-th customer (Acme Corp: 001000000000000000, usage-0)."""
    contract = {"plan": "pro", "kind": "contract", "starts": start}
    return {
        "name": name,
        "salesforce_account_id": f"001{index:015d}",
        "usage_ids": [f"usage-{index}"],
        "marketplace": {"customer_identifier": identifier},
        "contracts": [contract | {"entitlements": {"api_calls": "1000"}}],
    }


def _last_hour(now: datetime) -> datetime:
    """The hour before now's, or now's own in a day's first hour: `/meter usage day` and
    the month's figures both count it whenever the tests run."""
    return max(hour_floor(now) - timedelta(hours=1), day_floor(now))
