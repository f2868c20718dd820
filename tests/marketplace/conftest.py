"""A small Marketplace world: one product with hourly, whole-unit and monthly dimensions,
customers under both identity models (tests/worlds/marketplace.yml), usage written
straight into the rollups, and the local Marketplace stand-in on a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.marketplace.client import MeteringClient
from core.models import Customer, Dimension, HourlyRollup, Product
from tests.fakes.clock import Clock
from tests.fakes.marketplace import MarketplaceStandIn
from tests.worlds.plans import apply_world, one

# As tests/worlds/marketplace.yml says them.
CODE = "prod-acme"
ARN = "arn:aws:license-manager::123456789012:license:l-0123456789abcdef"
ACCOUNT = "210987654321"
START = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


@dataclass
class World:
    engine: Engine
    product: Product
    storage: Dimension  # hourly sum, decimals, raw GB -> TB
    seats: Dimension  # hourly peak, whole units
    archive: Dimension  # monthly average
    alpha: Customer  # CustomerIdentifier model
    beta: Customer  # licence model

    def usage(self, customer: Customer, dimension: Dimension, hour: datetime, *values: str) -> None:
        """Add usage records to the hour's rollup, as ingestion would."""
        with Session(self.engine) as session:
            row = session.exec(
                select(HourlyRollup).where(
                    HourlyRollup.customer_id == customer.id,
                    HourlyRollup.dimension_id == dimension.id,
                    HourlyRollup.hour == hour,
                )
            ).first() or HourlyRollup(
                customer_id=customer.id or 0, dimension_id=dimension.id or 0, hour=hour
            )
            for text in values:
                value = Decimal(text)
                row.sum += value
                row.count += 1
                row.max = value if row.max is None else max(row.max, value)
                row.last, row.last_at = value, hour
            session.add(row)
            session.commit()

    def entitle(self, customer: Customer, dimension: Dimension, quantity: str) -> None:
        """The world file applied again, the customer now on a contract since 2026-01-01
        that prepays `quantity` of the dimension a month."""
        prepaid = {"key": "prepaid", "product": "acme", "name": "Prepaid"}
        terms = {"plan": "prepaid", "starts": date(2026, 1, 1)}
        contract = terms | {"entitlements": {dimension.key: quantity}}
        values = _PLAIN | {"plans": [prepaid], f"{customer.name.lower()}_contracts": [contract]}
        apply_world(self.engine, "marketplace.yml", now=START, **values)


# The world file's placeholders while no test prepays usage: no plan, no contract.
_PLAIN: dict[str, Any] = {"plans": [], "alpha_contracts": [], "beta_contracts": []}


def build_world(engine: Engine) -> World:
    apply_world(engine, "marketplace.yml", now=START, **_PLAIN)
    with Session(engine, expire_on_commit=False) as session:
        return World(
            engine,
            one(session, Product, key="acme"),
            one(session, Dimension, key="storage"),
            one(session, Dimension, key="seats"),
            one(session, Dimension, key="archive"),
            one(session, Customer, name="Alpha"),
            one(session, Customer, name="Beta"),
        )


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def marketplace(clock: Clock) -> Iterator[MarketplaceStandIn]:
    with MarketplaceStandIn() as mp:
        mp.clock = clock
        subscribe_world(mp)
        yield mp


def subscribe_world(mp: MarketplaceStandIn) -> None:
    """The world's product and both its customers, as Marketplace knows them."""
    mp.add_product(CODE, ["storage_tb", "seats", "archive_tb_month"])
    mp.subscribe(CODE, "cust-alpha")
    mp.add_license(CODE, ARN, ACCOUNT)


def fast_client(mp: MarketplaceStandIn, **kwargs: object) -> MeteringClient:
    """A client with short backoff so retries take milliseconds in tests."""
    options: dict = {"rate": 200.0, "workers": 4, "base_delay": 0.005, "max_delay": 0.02}
    options.update(kwargs)
    return MeteringClient(mp.boto_client(), **options)


@pytest.fixture
def client(marketplace: MarketplaceStandIn) -> MeteringClient:
    return fast_client(marketplace)
