"""Usage older than Marketplace takes, end to end: ingestion, then submission passes
against the local Marketplace stand-in. 1,050 calls for three hours 30-32 hours old are
billed in the next open hour (carry) or reported and not billed (report), and every
pass says how much, for whom and which hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.commands.ledger import ledger_table
from bot.slack.views.usage import usage_summary
from core.ingest.pipeline import ingest_pass
from core.ingest.sources.open import open_source
from core.marketplace.ledger import query_ledger
from core.marketplace.submit import submit_due
from core.models import CustomerAlias, Dimension, LateUsage, MeteringRecord
from core.reports.status import collect_status
from core.usage.series import usage_series
from tests.marketplace.conftest import CODE, fast_client

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)
LATE_HOURS = [NOON - timedelta(hours=h) for h in (32, 31, 30)]  # 04:00-06:00 the day before


@pytest.fixture
def calls(world, marketplace):
    """An hourly sum dimension in plain units, and Alpha's usage id for ingestion."""
    with Session(world.engine, expire_on_commit=False) as session:
        dimension = Dimension(
            product_id=world.product.id or 0,
            key="calls",
            marketplace_key="calls",
            name="Calls",
            unit="call",
        )
        session.add(dimension)
        session.add(CustomerAlias(customer_id=world.alpha.id or 0, usage_id="cl-alpha"))
        session.commit()
    marketplace.add_product(CODE, ["storage_tb", "seats", "archive_tb_month", "calls"])
    marketplace.subscribe(CODE, "cust-alpha")
    return dimension


def ingest(world, folder: Path, now: datetime, mode: str):
    lines = [
        f'{{"timestamp": "{hour:%Y-%m-%dT%H}:20:00Z", "customer": "cl-alpha", '
        f'"dimension": "calls", "quantity": {quantity}}}\n'
        for hour, quantity in zip(LATE_HOURS, (300, 350, 400), strict=True)
    ]
    folder.mkdir(exist_ok=True)
    (folder / "late.jsonl").write_text("".join(lines))
    source = open_source(str(folder), s3_client=None)
    return ingest_pass(world.engine, source=source, now=now, worker="w", late_usage=mode)


def submit(world, marketplace, clock, now, mode):
    clock.now = now
    client = fast_client(marketplace)
    return submit_due(world.engine, client=client, now=now, late_usage=mode)


def billed_calls(marketplace) -> dict[datetime, Decimal]:
    billed = marketplace.billed().items()
    return {h: q for (_, c, d, h), q in billed if (c, d) == ("cust-alpha", "calls")}


def late_rows(world) -> list[LateUsage]:
    with Session(world.engine) as session:
        return list(session.exec(select(LateUsage).order_by(LateUsage.hour)).all())


def test_late_usage_is_carried_into_the_next_open_hour(world, marketplace, clock, calls, tmp_path):
    submit(world, marketplace, clock, NOON - timedelta(minutes=55), "carry")  # metering runs
    now = NOON + timedelta(minutes=30)  # the late hours are 30 to 32 hours old

    ingested = ingest(world, tmp_path / "usage", now, "carry")
    said = "\n".join(ingested.message().lines)
    assert "late usage, Alpha calls: 1,050 call for 2026-11-22 04:00Z, 05:00Z, 06:00Z" in said
    assert "carries it into the next open hour" in said

    found = submit(world, marketplace, clock, now, "carry")
    assert found.late == [
        "Alpha calls: 1,050 call for 2026-11-22 04:00Z, 05:00Z, 06:00Z, older than "
        "Marketplace takes: carried into the 2026-11-23 11:00Z record (1,050 billable)"
    ]
    assert f"late: {found.late[0]}" in found.message().lines  # the channel notice says it
    eleven = NOON - timedelta(hours=1)  # the next record after the late usage was found
    assert billed_calls(marketplace) == {eleven - timedelta(hours=1): 0, eleven: Decimal(1050)}
    with Session(world.engine) as session:
        record = session.exec(
            select(MeteringRecord).where(
                MeteringRecord.dimension_id == calls.id,
                MeteringRecord.customer_id == world.alpha.id,
                MeteringRecord.hour == eleven,
            )
        ).one()
    assert record.status == "accepted"
    assert record.carried_from == [hour.isoformat() for hour in LATE_HOURS]
    with Session(world.engine) as session:
        table = ledger_table(query_ledger(session, customer_id=world.alpha.id))
    assert "(of 2026-11-22 04:00Z, 05:00Z, 06:00Z)" in table  # `meterbot ledger` shows them
    assert [(r.hour, r.outcome, r.units, r.into_hour) for r in late_rows(world)] == [
        (hour, "carried", Decimal(q), eleven)
        for hour, q in zip(LATE_HOURS, (300, 350, 400), strict=True)
    ]
    again = submit(world, marketplace, clock, NOON + timedelta(hours=1, minutes=5), "carry")
    assert again.late == [] and billed_calls(marketplace)[NOON] == 0  # billed once


def test_late_usage_is_reported_not_billed(world, marketplace, clock, calls, tmp_path):
    submit(world, marketplace, clock, NOON - timedelta(minutes=55), "report")
    now = NOON + timedelta(minutes=30)

    ingested = ingest(world, tmp_path / "usage", now, "report")
    assert any(
        "1,050 call for 2026-11-22 04:00Z, 05:00Z, 06:00Z" in line
        and "not billed (METERBOT_LATE_USAGE=report)" in line
        for line in ingested.message().lines
    )
    found = submit(world, marketplace, clock, now, "report")
    assert found.late == [
        "Alpha calls: 1,050 call for 2026-11-22 04:00Z, 05:00Z, 06:00Z, older than "
        "Marketplace takes: not billed: METERBOT_LATE_USAGE=report"
    ]
    assert found.message().severity.value == "warning"

    submit(world, marketplace, clock, NOON + timedelta(hours=1, minutes=5), "report")
    assert set(billed_calls(marketplace).values()) == {Decimal(0)}  # heartbeats only
    assert {r.outcome for r in late_rows(world)} == {"reported"}
    again = submit(world, marketplace, clock, NOON + timedelta(hours=2, minutes=5), "report")
    assert again.late == []  # said once, not every pass

    with Session(world.engine) as session:  # /meter status and /meter usage say it too
        status = collect_status(session, now=NOON + timedelta(hours=3))
        series = usage_series(session, customer=world.alpha, granularity="month", now=NOON)
    assert (
        "late usage: Alpha calls: 1,050 call for 2026-11-22 04:00Z, 05:00Z, 06:00Z, older "
        "than Marketplace takes: not billed: METERBOT_LATE_USAGE=report"
    ) in status.problems()
    said = usage_summary(series)
    assert "• Calls: 1050 call (total); 1050 call not billable" in said
    assert "after Marketplace's window (2026-11-22 04:00Z, 05:00Z, 06:00Z)" in said


def test_late_usage_of_a_closed_month_is_reported(world, marketplace, clock, calls, tmp_path):
    dec1 = datetime(2026, 12, 1, 7, tzinfo=UTC)  # November closed at 06:00
    submit(world, marketplace, clock, dec1 - timedelta(minutes=55), "carry")
    folder = tmp_path / "usage"
    folder.mkdir()
    (folder / "nov.jsonl").write_text(
        '{"timestamp": "2026-11-30T20:10:00Z", "customer": "cl-alpha", '
        '"dimension": "calls", "quantity": 70}\n'
    )
    now = dec1 + timedelta(minutes=30)
    ingest_pass(world.engine, source=open_source(str(folder), s3_client=None), now=now, worker="w")
    found = submit(world, marketplace, clock, now, "carry")
    assert found.late == [
        "Alpha calls: 70 call for 2026-11-30 20:00Z, older than Marketplace takes: not "
        "billed: November 2026 is closed for Marketplace (06:00 UTC on the 1st)"
    ]
    submit(world, marketplace, clock, dec1 + timedelta(hours=1, minutes=5), "carry")
    assert sum(billed_calls(marketplace).values()) == 0


def test_late_usage_days_old_is_carried(world, marketplace, clock, calls, tmp_path):
    """Older than the pass's 48 hours of look-back, in an hour metered long ago."""
    submit(world, marketplace, clock, NOON - timedelta(days=3, minutes=55), "carry")
    submit(world, marketplace, clock, NOON - timedelta(minutes=55), "carry")
    folder = tmp_path / "usage"
    folder.mkdir()
    (folder / "old.jsonl").write_text(
        '{"timestamp": "2026-11-20T05:20:00Z", "customer": "cl-alpha", '
        '"dimension": "calls", "quantity": 70}\n'
    )
    now = NOON + timedelta(minutes=30)
    ingest_pass(world.engine, source=open_source(str(folder), s3_client=None), now=now, worker="w")
    found = submit(world, marketplace, clock, now, "carry")
    assert found.late == [
        "Alpha calls: 70 call for 2026-11-20 05:00Z, older than Marketplace takes: carried "
        "into the 2026-11-23 11:00Z record (70 billable)"
    ]
    assert billed_calls(marketplace)[NOON - timedelta(hours=1)] == 70


def test_unmatched_usage_mapped_after_the_window_is_carried(
    world, marketplace, clock, calls, tmp_path
):
    """Usage under an id no customer had yet is billed once the mapping appears; if that
    is after Marketplace's window, it is late usage like any other."""
    submit(world, marketplace, clock, NOON - timedelta(minutes=55), "carry")
    folder = tmp_path / "usage"
    folder.mkdir()
    (folder / "new.jsonl").write_text(
        '{"timestamp": "2026-11-22T05:20:00Z", "customer": "cl-alpha-dr", '
        '"dimension": "calls", "quantity": 90}\n'
    )
    now = NOON + timedelta(minutes=30)
    source = open_source(str(folder), s3_client=None)
    assert ingest_pass(world.engine, source=source, now=now, worker="w").unmatched == 1
    with Session(world.engine) as session:
        session.add(CustomerAlias(customer_id=world.alpha.id or 0, usage_id="cl-alpha-dr"))
        session.commit()
    assert ingest_pass(world.engine, source=source, now=now, worker="w").resolved == 1
    found = submit(world, marketplace, clock, now, "carry")
    assert found.late == [
        "Alpha calls: 90 call for 2026-11-22 05:00Z, older than Marketplace takes: carried "
        "into the 2026-11-23 11:00Z record (90 billable)"
    ]
    assert billed_calls(marketplace)[NOON - timedelta(hours=1)] == 90
