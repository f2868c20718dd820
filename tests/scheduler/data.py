"""Small, explicit data for the scheduler, alert and digest tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

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


@dataclass
class World:
    product: Product
    storage: Dimension  # a gauge: the average over the month is billed
    requests: Dimension  # a counter: the sum is billed
    plan: Plan
    acme: Customer
    globex: Customer


def build_world(session: Session, *, since: datetime) -> World:
    product = Product(key="db", name="Data platform", marketplace_product_code="prod-db")
    session.add(product)
    session.flush()
    assert product.id is not None
    storage = Dimension(
        product_id=product.id,
        key="storage_tb",
        marketplace_key="StorageTB",
        name="Storage",
        unit="TB",
        aggregation="avg",
        rating_period="month",
    )
    requests = Dimension(
        product_id=product.id,
        key="api_requests",
        marketplace_key="ApiRequests",
        name="API requests",
        unit="requests",
        aggregation="sum",
    )
    plan = Plan(key="standard", product_id=product.id, name="Standard")
    session.add_all([storage, requests, plan])
    session.flush()
    assert plan.id is not None and storage.id is not None and requests.id is not None
    version = PlanVersion(
        plan_id=plan.id, effective_from=since, recurring_fee=Decimal(100), content_hash="x"
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    session.add_all(
        [
            PlanPrice(plan_version_id=version.id, dimension_id=storage.id, unit_price=Decimal(50)),
            PlanPrice(
                plan_version_id=version.id, dimension_id=requests.id, unit_price=Decimal("0.001")
            ),
        ]
    )
    acme = customer(session, "Acme Corp", "cluster-acme", product.id)
    globex = customer(session, "Globex", "cluster-globex", product.id)
    for c in (acme, globex):
        session.add(Contract(customer_id=c.id, plan_id=plan.id, starts_at=since))
    session.flush()
    return World(product, storage, requests, plan, acme, globex)


def customer(session: Session, name: str, usage_id: str, product_id: int) -> Customer:
    row = Customer(
        name=name,
        product_id=product_id,
        marketplace_model="customer_identifier",
        customer_identifier=f"mp-{usage_id}",
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    session.add(CustomerAlias(customer_id=row.id, usage_id=usage_id))
    return row


def entitle(session: Session, world: World, customer: Customer, dim: Dimension, qty: str) -> None:
    contract = session.exec(select(Contract).where(Contract.customer_id == customer.id)).one()
    contract.kind = ContractKind.CONTRACT
    session.add(Entitlement(contract_id=contract.id, dimension_id=dim.id, quantity=Decimal(qty)))
    session.flush()


def usage(
    session: Session, customer: Customer, dim: Dimension, hour: datetime, value: str, count: int = 1
) -> None:
    """One hour's rollup: `count` records adding up to `value`."""
    total = Decimal(value)
    session.add(
        HourlyRollup(
            customer_id=customer.id,
            dimension_id=dim.id,
            hour=hour,
            sum=total,
            count=count,
            min=total / count,
            max=total / count,
            last=total / count,
            last_at=hour,
        )
    )
    session.flush()
