"""Lifecycle events through a real SQS queue (moto's server): contracts follow AWS, and an
unsubscribe sends the last usage inside AWS's final hour."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from sqlmodel import Session, select

from core.agreements.client import AgreementClient
from core.agreements.events import LifecycleEvent
from core.agreements.lifecycle import EventOutcome, handle_event
from core.agreements.queue import EventQueue, poll_once
from core.customers.lookup import contract_at, find_customer
from core.marketplace.client import MeteringClient
from core.models import MeteringRecord
from tests.agreements.conftest import ACCOUNT, ARN, START, World, acme_agreement
from tests.agreements.test_metering import add_usage, marketplace, send  # noqa: F401
from tests.fakes.marketplace import MarketplaceStandIn
from tests.scheduler.conftest import RecordingNotifier

H13 = datetime.fromisoformat("2026-11-10T13:00:00+00:00")
H14 = H13 + timedelta(hours=1)


@pytest.fixture
def queue(moto_server: str, request: pytest.FixtureRequest) -> EventQueue:
    sqs = boto3.client(
        "sqs",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"events-{abs(hash(request.node.nodeid))}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    return EventQueue(sqs, url, wait_seconds=0)


def deliver(
    queue: EventQueue, event_id: str, detail_type: str, at: datetime, agreement: str = "agmt-acme"
) -> None:
    """What the EventBridge rule puts on the queue (the event as the message body)."""
    event = {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "aws.agreement-marketplace",
        "account": "999988887777",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:aws-marketplace::aws:agreement:{agreement}"],
        "detail": {
            "agreement": {"id": agreement},
            "license": {"arn": ARN},
            "acceptor": {"accountId": ACCOUNT},
            "product": {"id": "prod-dataplatform", "code": "8ahzwg4fkpyfh5sbpoew8tkkv"},
        },
    }
    queue.sqs.send_message(QueueUrl=queue.url, MessageBody=json.dumps(event))


def left_on(queue: EventQueue) -> int:
    attributes = queue.sqs.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


class Consumer:
    def __init__(self, world: World, mp: MarketplaceStandIn, queue: EventQueue) -> None:
        self.world, self.queue, self.notifier = world, queue, RecordingNotifier()
        self.sender = MeteringClient(mp.boto_client(), rate=200.0, base_delay=0.005)
        self.agreements = AgreementClient(world.aws.boto_client())

    def handle(self, event: LifecycleEvent) -> EventOutcome:
        return handle_event(
            self.world.engine,
            event,
            agreements=self.agreements,
            sender=self.sender,
            now=self.world.clock.now,
        )

    def poll(self) -> int:
        return asyncio.run(poll_once(self.queue, self.handle, self.notifier))

    def posted(self) -> list[tuple[str, list[str]]]:
        return [(m.title, list(m.lines)) for m, _ in self.notifier.sent]


@pytest.fixture
def consumer(world: World, marketplace: MarketplaceStandIn, queue: EventQueue) -> Consumer:  # noqa: F811
    from core.agreements import sync_agreements

    acme_agreement(world.aws)
    sync_agreements(world.engine, world.client, now=world.clock.now)
    return Consumer(world, marketplace, queue)


def test_an_unsubscribe_sends_the_last_usage_inside_the_hour(
    consumer: Consumer,
    marketplace: MarketplaceStandIn,  # noqa: F811
) -> None:
    world = consumer.world
    add_usage(world.engine, "Acme", "storage", H13, "45")
    add_usage(world.engine, "Acme", "storage", H14, "25")  # the hour under way
    world.clock.now = H14 + timedelta(minutes=20)
    world.aws.end("agmt-acme")
    deliver(
        consumer.queue, "ev-deprovisioned", "License Deprovisioned - Manufacturer", world.clock.now
    )

    assert consumer.poll() == 1

    # Sent at once, 20 minutes into the hour, not at the next hourly tick: beyond the 60
    # AWS's contract prepaid, the current hour's 10.
    assert marketplace.billed() == {(ARN, ACCOUNT, "storage_tb", H14): Decimal(10)}
    title, lines = consumer.posted()[0]
    assert title == "AWS licence deprovisioned"
    assert lines == [
        "final records sent: 1 (1 accepted)",
        "Acme Manufacturing: licence closed, nothing more is sent for it (0 unsent)",
    ]
    with Session(world.engine) as session:
        rows = session.exec(select(MeteringRecord)).all()
        assert [(r.hour, r.quantity, r.status, r.source) for r in rows] == [
            (H14, Decimal(10), "accepted", "final flush")
        ]
    assert left_on(consumer.queue) == 0

    # The other half of the unsubscribe, a redelivery, then more usage: nothing more sent.
    deliver(consumer.queue, "ev-ended", "Purchase Agreement Ended - Proposer", world.clock.now)
    deliver(
        consumer.queue, "ev-deprovisioned", "License Deprovisioned - Manufacturer", world.clock.now
    )
    assert consumer.poll() == 2
    assert [t for t, _ in consumer.posted()] == ["AWS licence deprovisioned", "AWS agreement ended"]
    add_usage(world.engine, "Acme", "storage", H14 + timedelta(hours=1), "500")
    world.clock.now = H14 + timedelta(hours=2, minutes=5)
    send(world, marketplace)
    assert marketplace.billed() == {(ARN, ACCOUNT, "storage_tb", H14): Decimal(10)}


def test_an_amendment_event_rereads_the_agreement(consumer: Consumer) -> None:
    world = consumer.world
    world.clock.now = H14 + timedelta(minutes=10)
    world.aws.amend("agmt-acme", entitlements={"storage_tb": 90})
    deliver(consumer.queue, "ev-amended", "Purchase Agreement Amended - Proposer", world.clock.now)
    deliver(consumer.queue, "ev-created-late", "Purchase Agreement Created - Proposer", START)

    assert consumer.poll() == 2

    with Session(world.engine) as session:
        acme = find_customer(session, "Acme")
        contract = contract_at(session, customer_id=acme.id or 0, at=world.clock.now)
        assert contract is not None and contract.starts_at == H14  # from the amendment's hour
    # A Created event arriving late re-reads the same (amended) terms: nothing set back.
    assert [t for t, _ in consumer.posted()] == ["AWS agreement amended", "AWS agreement created"]
    with Session(world.engine) as session:
        contract = contract_at(session, customer_id=acme.id or 0, at=world.clock.now)
        assert contract is not None and contract.starts_at == H14


def test_unknown_and_unreadable_messages(consumer: Consumer) -> None:
    deliver(consumer.queue, "ev-other", "Purchase Agreement Approved - Proposer", START)
    consumer.queue.sqs.send_message(QueueUrl=consumer.queue.url, MessageBody="not json")

    assert consumer.poll() == 1  # the unknown detail-type is recorded and deleted
    assert consumer.posted() == []
    assert left_on(consumer.queue) == 1  # the unreadable one waits for the dead-letter queue


def test_a_message_stays_until_its_effect_is_committed(consumer: Consumer) -> None:
    deliver(consumer.queue, "ev-amended", "Purchase Agreement Amended - Proposer", START)
    consumer.world.aws.fail_next("InternalServerException", calls=1, status=500)

    assert consumer.poll() == 0  # AWS failed: nothing committed, the message stays
    assert left_on(consumer.queue) == 1 and consumer.posted() == []
    assert consumer.poll() == 1
    assert [t for t, _ in consumer.posted()] == ["AWS agreement amended"]


async def test_serve_and_worker_consume_the_queue_when_it_is_set(
    world: World, queue: EventQueue
) -> None:
    from bot.app import Services
    from bot.events import events_consumer
    from core.settings import load_settings

    env = {
        "METERBOT_EVENTS_QUEUE_URL": queue.url,
        "METERBOT_DATABASE_URL": world.engine.url.render_as_string(hide_password=False),
    }
    services = Services(load_settings(env))
    vars(services)["engine"] = world.engine
    vars(services)["sqs"] = queue.sqs
    vars(services)["agreements"] = world.aws.boto_client()
    deliver(queue, "ev-other", "Purchase Agreement Approved - Proposer", START)
    async with events_consumer(services, RecordingNotifier()):
        for _ in range(100):
            if left_on(queue) == 0:
                break
            await asyncio.sleep(0.05)
    assert left_on(queue) == 0
