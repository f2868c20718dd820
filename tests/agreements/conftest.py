"""An agreements world: tests/worlds/agreements.yml applied to a real database, the
Agreement Service stand-in, and a clock both read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.agreements import AgreementClient
from core.models import Customer
from tests.fakes.agreements import AgreementStandIn
from tests.fakes.clock import Clock
from tests.worlds.plans import apply_text, one, plans_text

ACCOUNT = "111122223333"
ARN = "arn:aws:license-manager::111122223333:license:l-1a2b3c4d5e6f708192a3b4c5d6e7f809"
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2027, 11, 1, tzinfo=UTC)

PLANS = plans_text("agreements.yml")


@dataclass
class World:
    engine: Engine
    aws: AgreementStandIn
    client: AgreementClient
    clock: Clock


def apply_plans(engine: Engine, text: str = PLANS, now: datetime = START) -> None:
    apply_text(engine, text, now=now, name="agreements.yml")


def link_account(engine: Engine, name: str = "Acme Manufacturing") -> None:
    """The buyer's AWS account id on the customer, as Salesforce's AWS_Account_Id__c sets it."""
    with Session(engine) as session:
        customer = one(session, Customer, name=name)
        customer.aws_account_id = ACCOUNT
        session.add(customer)
        session.commit()


def acme_agreement(aws: AgreementStandIn, **terms: object) -> None:
    """Acme's purchase on AWS for a year from START, prepaying 60 TB of storage."""
    aws.add_agreement(
        "agmt-acme",
        account=ACCOUNT,
        license_arn=ARN,
        start=START,
        end=END,
        entitlements={"storage_tb": 60},
        **terms,  # type: ignore[arg-type]
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
    return World(engine, agreements, AgreementClient(agreements.boto_client()), clock)
