"""A reconciliation world: the Marketplace world of tests/marketplace, sends made through
the real submission pass to the Marketplace stand-in, and a CloudTrail stand-in logging
every call that stand-in answered, all on one clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.marketplace.submit import submit_due
from core.models import Agreement, Contract, ContractRate, Customer, Dimension, MeteringRecord, Plan
from core.reconcile import CloudTrailReader
from tests.fakes.agreements import AgreementStandIn
from tests.fakes.cloudtrail import CloudTrailStandIn
from tests.fakes.marketplace import MarketplaceStandIn
from tests.marketplace.conftest import ACCOUNT, ARN, CODE, START, Clock, World, build_world
from tests.marketplace.conftest import fast_client as fast_client

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
        return CloudTrailReader(cloudtrail_client(self.trail))

    def agree(self, customer: Customer, agreement_id: str, rates: dict[str, str]) -> None:
        """The customer bought on AWS: an agreement whose contract carries AWS's prices
        (what the agreements sync makes of one, core.agreements)."""
        with Session(self.world.engine) as session:
            plan = Plan(
                key=f"aws-{agreement_id}", product_id=self.world.product.id or 0, name="AWS"
            )
            session.add(plan)
            session.flush()
            contract = Contract(
                customer_id=customer.id or 0,
                plan_id=plan.id or 0,
                starts_at=NOVEMBER_START,
                agreement_id=agreement_id,
            )
            agreement = Agreement(
                agreement_id=agreement_id,
                customer_id=customer.id or 0,
                account_id=customer.aws_account_id or "",
                license_arn=customer.license_arn,
                status="ACTIVE",
                kind="subscription",
                starts_at=NOVEMBER_START,
                terms_hash="-",
                last_update_time=NOVEMBER_START,
            )
            session.add_all([contract, agreement])
            session.flush()
            for key, price in rates.items():
                dimension = session.exec(
                    select(Dimension).where(Dimension.marketplace_key == key)
                ).one()
                session.add(
                    ContractRate(
                        contract_id=contract.id or 0,
                        dimension_id=dimension.id or 0,
                        price=Decimal(price),
                    )
                )
            session.commit()


def cloudtrail_client(trail: CloudTrailStandIn) -> object:
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=5)
    return boto3.client(
        "cloudtrail",
        endpoint_url=trail.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture
def books(engine: Engine) -> Iterator[Books]:
    clock = Clock(START)
    with MarketplaceStandIn() as marketplace, CloudTrailStandIn(page_size=3) as trail:
        marketplace.clock = trail.clock = clock
        marketplace.add_product(CODE, ["storage_tb", "seats", "archive_tb_month"])
        marketplace.subscribe(CODE, "cust-alpha")
        marketplace.add_license(CODE, ARN, ACCOUNT)
        marketplace.trail = trail.record_batch_meter_usage
        yield Books(build_world(engine), marketplace, trail, clock)


def agreement_client(aws: AgreementStandIn) -> object:
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=5)
    return boto3.client(
        "marketplace-agreement",
        endpoint_url=aws.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture
def agreements() -> Iterator[AgreementStandIn]:
    with AgreementStandIn(page_size=1) as aws:
        yield aws


@pytest.fixture
def priced(books: Books, agreements) -> Books:
    """Beta bought on AWS (agmt-beta) and traded: the ledger says November costs 70."""
    books.agree(books.world.beta, "agmt-beta", RATES)
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
