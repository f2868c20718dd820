"""Small, explicit data for the scheduler, alert, digest and Salesforce tests.

The catalog is tests/worlds/scheduler.yml, applied in the test's own session (its unit
of work, as before); usage is written as hourly rollups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from core.models import Customer, Dimension, Plan, Product
from tests.worlds.plans import apply_world_in, one
from tests.worlds.usage import rollup


@dataclass
class World:
    product: Product
    storage: Dimension  # a gauge: the average over the month is billed
    requests: Dimension  # a counter: the sum is billed
    plan: Plan
    acme: Customer
    globex: Customer


def build_world(
    session: Session, *, since: datetime, entitlements: dict[str, str] | None = None
) -> World:
    """Acme Corp and Globex on the standard plan from `since`'s day; `entitlements`
    (dimension key -> quantity a month) makes both contracts prepay them."""
    apply_world_in(
        session, "scheduler.yml", now=since, since=since.date(), entitlements=entitlements or {}
    )
    product = one(session, Product, key="db")
    return World(
        product,
        one(session, Dimension, product_id=product.id, key="storage_tb"),
        one(session, Dimension, product_id=product.id, key="api_requests"),
        one(session, Plan, key="standard"),
        one(session, Customer, name="Acme Corp"),
        one(session, Customer, name="Globex"),
    )


def usage(
    session: Session, customer: Customer, dim: Dimension, hour: datetime, value: str, count: int = 1
) -> None:
    """One hour's rollup: `count` records adding up to `value`."""
    session.add(rollup(customer.id, dim.id, hour, Decimal(value), count))
    session.flush()
