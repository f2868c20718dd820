"""The data the Slack tests run against: one product, a plan, three customers.

Acme and Globex are subscribed in the Marketplace stand-in; Initech's CustomerIdentifier
is unknown there, so its records come back "not subscribed" (a failure with a Retry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from core.models import (
    Contract,
    ContractKind,
    Customer,
    CustomerAlias,
    Dimension,
    Entitlement,
    HourlyRollup,
    Plan,
    PlanPrice,
    PlanVersion,
    Product,
)
from core.periods import hour_floor, month_floor, previous_month

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
    with Session(engine, expire_on_commit=False) as session:
        product = Product(key="dataplat", name="DataPlat", marketplace_product_code=PRODUCT_CODE)
        session.add(product)
        session.flush()
        assert product.id is not None
        storage = Dimension(
            product_id=product.id,
            key="storage_tb",
            marketplace_key="storage_tb",
            name="Storage",
            unit="TB",
            aggregation="sum",
            max_quantity=Decimal(1000),
        )
        calls = Dimension(
            product_id=product.id,
            key="api_calls",
            marketplace_key="api_calls",
            name="API calls",
            unit="call",
            whole_units=True,
            max_quantity=Decimal(10_000_000),
        )
        plan = Plan(key="pro", product_id=product.id, name="Pro")
        session.add_all([storage, calls, plan])
        session.flush()
        assert storage.id and calls.id and plan.id
        version = PlanVersion(
            plan_id=plan.id,
            effective_from=previous_month(month_floor(now)),
            recurring_fee=Decimal(500),
            content_hash="v1",
        )
        session.add(version)
        session.flush()
        assert version.id is not None
        session.add(
            PlanPrice(plan_version_id=version.id, dimension_id=storage.id, unit_price=Decimal("20"))
        )
        session.add(
            PlanPrice(
                plan_version_id=version.id, dimension_id=calls.id, unit_price=Decimal("0.001")
            )
        )
        names = {"Acme Corp": "cust-acme", "Globex": "cust-globex", "Initech": "cust-initech"}
        names |= {f"Customer {n:03d}": f"cust-{n:03d}" for n in range(extra_customers)}
        customers, contracts = {}, {}
        start = previous_month(month_floor(now))
        for index, (name, identifier) in enumerate(names.items()):
            customer = Customer(
                name=name,
                salesforce_account_id=f"001{index:015d}",
                product_id=product.id,
                marketplace_model="customer_identifier",
                customer_identifier=identifier,
            )
            session.add(customer)
            session.flush()
            assert customer.id is not None
            session.add(CustomerAlias(customer_id=customer.id, usage_id=f"usage-{index}"))
            contract = Contract(
                customer_id=customer.id,
                plan_id=plan.id,
                kind=ContractKind.CONTRACT,
                starts_at=start,
            )
            session.add(contract)
            session.flush()
            assert contract.id is not None
            session.add(
                Entitlement(contract_id=contract.id, dimension_id=calls.id, quantity=Decimal(1000))
            )
            session.add(_usage(customer.id, calls.id, now, Decimal(1500)))
            customers[name], contracts[name] = customer.id, contract.id
        session.commit()
        return World(product.id, storage.id, calls.id, customers, contracts)


def _usage(customer_id: int, dimension_id: int, now: datetime, quantity: Decimal) -> HourlyRollup:
    hour = max(hour_floor(now) - timedelta(hours=1), month_floor(now))
    return HourlyRollup(
        customer_id=customer_id,
        dimension_id=dimension_id,
        hour=hour,
        sum=quantity,
        count=1,
        min=quantity,
        max=quantity,
        last=quantity,
        last_at=hour,
    )
