"""A small Marketplace world: one product with hourly, whole-unit and monthly dimensions,
customers under both identity models, usage written straight into the rollups, and the
local Marketplace stand-in on a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.marketplace.client import MeteringClient
from core.models import (
    Contract,
    ContractKind,
    Customer,
    Dimension,
    Entitlement,
    HourlyRollup,
    MarketplaceModel,
    Plan,
    Product,
)
from tests.fakes.marketplace import MarketplaceStandIn

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
        with Session(self.engine) as session:
            plan = Plan(key=f"plan-{customer.id}", product_id=self.product.id or 0, name="p")
            session.add(plan)
            session.flush()
            contract = Contract(
                customer_id=customer.id or 0,
                plan_id=plan.id or 0,
                kind=ContractKind.CONTRACT,
                starts_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            session.add(contract)
            session.flush()
            session.add(
                Entitlement(
                    contract_id=contract.id or 0,
                    dimension_id=dimension.id or 0,
                    quantity=Decimal(quantity),
                )
            )
            session.commit()


def build_world(engine: Engine) -> World:
    with Session(engine, expire_on_commit=False) as session:
        product = Product(key="acme", name="Acme", marketplace_product_code=CODE)
        session.add(product)
        session.flush()
        pid = product.id or 0
        storage = Dimension(
            product_id=pid,
            key="storage",
            marketplace_key="storage_tb",
            name="Storage",
            unit="TB",
            unit_scale=Decimal("0.001"),
        )
        seats = Dimension(
            product_id=pid,
            key="seats",
            marketplace_key="seats",
            name="Seats",
            aggregation="peak",
            whole_units=True,
        )
        archive = Dimension(
            product_id=pid,
            key="archive",
            marketplace_key="archive_tb_month",
            name="Archive",
            aggregation="avg",
            rating_period="month",
        )
        alpha = Customer(
            name="Alpha",
            product_id=pid,
            marketplace_model=MarketplaceModel.CUSTOMER_IDENTIFIER,
            customer_identifier="cust-alpha",
        )
        beta = Customer(
            name="Beta",
            product_id=pid,
            marketplace_model=MarketplaceModel.LICENSE,
            aws_account_id=ACCOUNT,
            license_arn=ARN,
        )
        session.add_all([storage, seats, archive, alpha, beta])
        session.commit()
        return World(engine, product, storage, seats, archive, alpha, beta)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def marketplace(clock: Clock) -> Iterator[MarketplaceStandIn]:
    with MarketplaceStandIn() as mp:
        mp.clock = clock
        mp.add_product(CODE, ["storage_tb", "seats", "archive_tb_month"])
        mp.subscribe(CODE, "cust-alpha")
        mp.add_license(CODE, ARN, ACCOUNT)
        yield mp


def fast_client(mp: MarketplaceStandIn, **kwargs: object) -> MeteringClient:
    """A client with short backoff so retries take milliseconds in tests."""
    options: dict = {"rate": 200.0, "workers": 4, "base_delay": 0.005, "max_delay": 0.02}
    options.update(kwargs)
    return MeteringClient(mp.boto_client(), **options)


@pytest.fixture
def client(marketplace: MarketplaceStandIn) -> MeteringClient:
    return fast_client(marketplace)
