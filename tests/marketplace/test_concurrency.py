"""Two senders on PostgreSQL never send the same ledger row."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from core.db import make_engine
from core.marketplace.report import SubmitReport
from core.marketplace.sending import send_rows
from core.models import LedgerStatus, MeteringRecord
from tests.marketplace.conftest import START, build_world, fast_client


def test_concurrent_senders_split_the_rows_between_them(postgres_url, marketplace, clock):
    engine = make_engine(postgres_url)
    from tests.conftest import _empty_postgres

    _empty_postgres(engine)
    world = build_world(engine)
    now = START + timedelta(hours=23, minutes=10)
    clock.now = now
    with Session(engine) as session:
        for hour in range(1, 23):
            for dimension in (world.storage, world.seats):
                session.add(
                    MeteringRecord(
                        customer_id=world.alpha.id, dimension_id=dimension.id,
                        hour=START + timedelta(hours=hour), quantity=Decimal(hour),
                        source="scheduled",
                    )
                )  # fmt: skip
        session.commit()
    marketplace.latency = 0.02
    reports = [SubmitReport(), SubmitReport()]
    barrier = threading.Barrier(2)

    def sender(report: SubmitReport) -> None:
        barrier.wait()
        client = fast_client(marketplace, workers=2)
        send_rows(engine, client=client, now=now, report=report)

    threads = [threading.Thread(target=sender, args=(r,)) for r in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = Counter(
        (record["Dimension"], record["Timestamp"])
        for request in marketplace.requests
        for record in request["UsageRecords"]
    )
    assert len(sent) == 44 and set(sent.values()) == {1}  # every row sent exactly once
    ids = [o.record_id for r in reports for o in r.outcomes]
    assert len(ids) == len(set(ids)) == 44
    assert all(o.status == LedgerStatus.ACCEPTED for r in reports for o in r.outcomes)
    engine.dispose()


def test_due_record_passes_take_turns_on_postgres(postgres_url, clock):
    """`meterbot submit` from cron while the scheduler's pass runs: the second waits for
    the first to commit, then finds nothing new to account."""
    from sqlmodel import select

    from core.marketplace.due import build_due
    from tests.conftest import _empty_postgres

    engine = make_engine(postgres_url)
    _empty_postgres(engine)
    world = build_world(engine)
    world.usage(world.alpha, world.storage, START + timedelta(hours=3), "1500")
    now = START + timedelta(hours=5)
    first = Session(engine)
    build_due(first, now=now, heartbeat=False)
    second_done = threading.Event()
    created: list[int] = []

    def second_pass() -> None:
        with Session(engine) as session:
            created.append(build_due(session, now=now, heartbeat=False).created)
            session.commit()
        second_done.set()

    thread = threading.Thread(target=second_pass)
    thread.start()
    assert not second_done.wait(0.5)  # blocked while the first pass is open
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert second_done.is_set() and created == [0]
    with Session(engine) as session:
        rows = session.exec(select(MeteringRecord)).all()
    assert [(r.quantity, r.hour) for r in rows] == [(Decimal("1.5"), START + timedelta(hours=3))]
    engine.dispose()
