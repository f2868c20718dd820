"""An agreements world: a plans file applied to a real database, the Agreement Service
stand-in, and a clock both read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.agreements import AgreementClient
from core.models import Customer
from core.plans.file import parse_plan_text
from core.plans.versions import apply_plan_file
from tests.fakes.agreements import AgreementStandIn

ACCOUNT = "111122223333"
ARN = "arn:aws:license-manager::111122223333:license:l-1a2b3c4d5e6f708192a3b4c5d6e7f809"
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2027, 11, 1, tzinfo=UTC)

PLANS = """
products:
  - key: dataplatform
    name: Data Platform
    marketplace_product_code: 8ahzwg4fkpyfh5sbpoew8tkkv
    dimensions:
      - key: storage
        marketplace_key: storage_tb
        name: Storage
        unit: TB
        aggregation: sum
      - key: seats
        name: Seats
        aggregation: peak
        whole_units: true
plans:
  - key: standard
    product: dataplatform
    name: Standard
    effective_from: 2026-01-01
    prices:
      storage: {unit_price: 40}
      seats: {unit_price: 10}
customers:
  - name: Acme Manufacturing
    usage_ids: [cl-acme]
    marketplace: {customer_identifier: acme-cid}
    contracts:
      - plan: standard
        kind: contract
        starts: 2026-10-01
        entitlements: {storage: 50, seats: 5}
"""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    engine: Engine
    aws: AgreementStandIn
    client: AgreementClient
    clock: Clock


def apply_plans(engine: Engine, text: str = PLANS, now: datetime = START) -> None:
    apply_plan_file(engine, parse_plan_text(text), now=now, actor="test")


def link_account(engine: Engine, name: str = "Acme Manufacturing") -> None:
    """The buyer's AWS account id on the customer, as Salesforce's AWS_Account_Id__c sets it."""
    with Session(engine) as session:
        customer = session.exec(select(Customer).where(Customer.name == name)).one()
        customer.aws_account_id = ACCOUNT
        session.add(customer)
        session.commit()


def boto_client(aws: AgreementStandIn, attempts: int = 1) -> object:
    config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}, read_timeout=5)
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
    with AgreementStandIn(page_size=2) as aws:
        yield aws


@pytest.fixture
def world(engine: Engine, agreements: AgreementStandIn) -> World:
    apply_plans(engine)
    link_account(engine)
    clock = Clock(datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    agreements.clock = clock
    return World(engine, agreements, AgreementClient(boto_client(agreements)), clock)
