"""A reconciliation world: the Marketplace world of tests/marketplace, sends made through
the real submission pass to the Marketplace stand-in, and a CloudTrail stand-in logging
every call that stand-in answered, all on one clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.marketplace.submit import submit_due
from core.models import MeteringRecord
from core.reconcile import CloudTrailReader
from tests.fakes.agreements import AgreementStandIn
from tests.fakes.clock import Clock
from tests.fakes.cloudtrail import CloudTrailStandIn
from tests.fakes.marketplace import MarketplaceStandIn
from tests.marketplace.conftest import ACCOUNT, ARN, START, World, build_world, subscribe_world
from tests.marketplace.conftest import fast_client as fast_client
from tests.worlds.agreements import agree

H1 = START + timedelta(hours=1)  # 2026-11-22 01:00
H2 = START + timedelta(hours=2)
H3 = START + timedelta(hours=3)
NOVEMBER_START = datetime(2026, 11, 1, tzinfo=UTC)
AFTER_INVOICES = datetime(2026, 12, 8, tzinfo=UTC)
RATES = {"seats": "10", "storage_tb": "40"}  # Beta: 7 seats in H1 -> USD 70.00


@dataclass
class Books:
    """Both sides: meterbot's world and AWS's (Marketplace and CloudTrail)."""

    world: World
    marketplace: MarketplaceStandIn
    trail: CloudTrailStandIn
    clock: Clock

    def send(self, at: datetime) -> None:
        """A scheduled submission pass at `at`."""
        self.clock.now = at
        submit_due(self.world.engine, client=fast_client(self.marketplace), now=at)

    def record_id(self, customer_id: int | None, dimension_id: int | None, hour: datetime) -> str:
        with Session(self.world.engine) as session:
            row = session.exec(
                select(MeteringRecord).where(
                    MeteringRecord.customer_id == customer_id,
                    MeteringRecord.dimension_id == dimension_id,
                    MeteringRecord.hour == hour,
                )
            ).one()
        assert row.metering_record_id is not None
        return row.metering_record_id

    def reader(self) -> CloudTrailReader:
        return CloudTrailReader(self.trail.boto_client())


@pytest.fixture
def books(engine: Engine) -> Iterator[Books]:
    clock = Clock(START)
    with MarketplaceStandIn() as marketplace, CloudTrailStandIn(page_size=3) as trail:
        marketplace.clock = trail.clock = clock
        subscribe_world(marketplace)
        marketplace.trail = trail.record_batch_meter_usage
        yield Books(build_world(engine), marketplace, trail, clock)


@pytest.fixture
def agreements() -> Iterator[AgreementStandIn]:
    with AgreementStandIn(page_size=1) as aws:
        yield aws


@pytest.fixture
def priced(books: Books, agreements) -> Books:
    """Beta bought on AWS (agmt-beta) and traded: the ledger says November costs 70."""
    agree(books.world.engine, books.world.beta, "agmt-beta", RATES, starts=NOVEMBER_START)
    agreements.add_agreement(
        "agmt-beta", account=ACCOUNT, license_arn=ARN, start=NOVEMBER_START, rates=RATES
    )
    trade(books)
    return books


def trade(books: Books) -> None:
    """Two hours of usage for two customers, each sent by the hourly pass after it."""
    world = books.world
    world.usage(world.alpha, world.storage, H1, "1000", "500")  # 1.5 TB
    world.usage(world.beta, world.seats, H1, "3", "7")
    world.usage(world.alpha, world.storage, H2, "2000")
    books.send(H2 + timedelta(minutes=5))
    books.send(H3 + timedelta(minutes=5))
