"""Usage of a customer whose contract AWS holds: metered by licence, beyond AWS's entitlement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.agreements import sync_agreements
from core.customers.lookup import find_customer
from core.marketplace.client import MeteringClient
from core.marketplace.submit import submit_due
from core.models import Dimension
from tests.agreements.conftest import ACCOUNT, ARN, World, acme_agreement
from tests.fakes.marketplace import MarketplaceStandIn
from tests.worlds.plans import one
from tests.worlds.usage import rollup


def add_usage(engine: Engine, customer: str, key: str, hour: datetime, value: str) -> None:
    """One usage record into the hour's rollup, as ingestion would write it."""
    with Session(engine) as session:
        customer_id = find_customer(session, customer).id
        dimension = one(session, Dimension, key=key)
        session.add(rollup(customer_id, dimension.id, hour, Decimal(value)))
        session.commit()


@pytest.fixture
def marketplace(world: World) -> Iterator[MarketplaceStandIn]:
    with MarketplaceStandIn() as mp:
        mp.clock = world.clock
        mp.add_product("8ahzwg4fkpyfh5sbpoew8tkkv", ["storage_tb", "seats"])
        mp.subscribe("8ahzwg4fkpyfh5sbpoew8tkkv", "acme-cid")
        mp.add_license("8ahzwg4fkpyfh5sbpoew8tkkv", ARN, ACCOUNT)
        yield mp


def send(world: World, mp: MarketplaceStandIn) -> None:
    client = MeteringClient(mp.boto_client(), rate=200.0, base_delay=0.005, max_delay=0.02)
    submit_due(world.engine, client=client, now=world.clock.now, heartbeat=False)


def test_usage_beyond_aws_entitlement_is_metered_by_licence(
    world: World, marketplace: MarketplaceStandIn
) -> None:
    acme_agreement(world.aws)
    sync_agreements(world.engine, world.client, now=world.clock.now)
    hour = datetime.fromisoformat("2026-11-10T13:00:00+00:00")  # the licence's first hour
    add_usage(world.engine, "Acme", "storage", hour, "45")
    add_usage(world.engine, "Acme", "storage", hour + timedelta(hours=1), "25")
    world.clock.now = hour + timedelta(hours=2, minutes=5)
    send(world, marketplace)

    # 60 prepaid by AWS's terms (the plans file said 50): only the 10 beyond it is billed,
    # under the licence, never under the CustomerIdentifier.
    assert marketplace.billed() == {
        (ARN, ACCOUNT, "storage_tb", hour + timedelta(hours=1)): Decimal(10),
    }
