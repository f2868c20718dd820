"""Reconciling the ledger with CloudTrail: sends made for real, differences planted on
AWS's side or the ledger's, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from core.models import LedgerStatus, MeteringRecord
from core.periods import parse_month
from core.reconcile import FindingKind, reconcile_month
from tests.marketplace.conftest import ACCOUNT, CODE
from tests.reconcile.conftest import H1, H2, H3, Books, trade

NOVEMBER = parse_month("2026-11")


def reconcile(books: Books, now: datetime = H3 + timedelta(hours=2)):
    return reconcile_month(books.world.engine, trail=books.reader(), period=NOVEMBER, now=now)


def foreign_send(books: Books, customer: str, dimension: str, hour: datetime, quantity: str):
    """Another program bills through the same account: CloudTrail logs its call too."""
    record = {
        "timestamp": f"{hour + timedelta(minutes=7):%b %-d, %Y, %-I:%M:%S %p}",
        "customerIdentifier": customer,
        "dimension": dimension,
        "quantityAsDecimal": quantity,
    }
    result = {"usageRecord": record, "meteringRecordId": "mr-legacy-1", "status": "Success"}
    answer = {"results": [result], "unprocessedRecords": []}
    books.trail.add_event(
        "BatchMeterUsage", {"productCode": CODE, "usageRecords": [record]}, answer,
        username="legacy-biller",
    )  # fmt: skip


def test_a_clean_month_finds_nothing(books):
    trade(books)
    report = reconcile(books)
    assert report.findings == []
    assert (report.ledger_rows, report.logged_records) == (8, 8)
    # Every page was read (3 events a page), always for BatchMeterUsage only.
    lookups = books.trail.calls_to("LookupEvents")
    assert len(lookups) == 2 and "NextToken" in lookups[1]
    attribute = {"AttributeKey": "EventName", "AttributeValue": "BatchMeterUsage"}
    assert all(call["LookupAttributes"] == [attribute] for call in lookups)
    assert "agrees" in report.as_text()


def test_a_double_billed_hour_and_a_missing_record_are_found_and_nothing_else(books):
    world = books.world
    trade(books)
    foreign_send(books, "cust-alpha", "storage_tb", H1, "1.5")
    books.trail.forget(books.record_id(world.beta.id, world.seats.id, H1))

    findings = reconcile(books).findings

    assert [(f.kind, f.customer, f.dimension, f.hour) for f in findings] == [
        (FindingKind.DOUBLE_BILLED, "Alpha", "storage_tb", H1),
        (FindingKind.MISSING, "Beta", "seats", H1),
    ]
    double, missing = findings
    assert double.over_billed and (double.expected, double.actual) == (Decimal("1.5"),) * 2
    assert "legacy-biller" in double.detail and "billed twice" in double.detail
    assert "CloudTrail has no such record" in missing.detail and not missing.over_billed


def test_another_senders_record_and_a_differing_quantity_and_status(books):
    world = books.world
    trade(books)
    foreign_send(books, "cust-alpha", "storage_tb", H3, "4")  # an hour meterbot never sent
    with Session(world.engine) as session:
        rows = session.exec(select(MeteringRecord).order_by(MeteringRecord.id)).all()
        by = {(r.customer_id, r.dimension_id, r.hour): r for r in rows}
        by[(world.alpha.id, world.storage.id, H2)].quantity = Decimal("2.5")
        by[(world.beta.id, world.storage.id, H1)].status = LedgerStatus.FAILED
        session.add_all(rows)
        session.commit()

    findings = reconcile(books).findings

    assert {(f.kind, f.customer, f.hour) for f in findings} == {
        (FindingKind.STATUS, "Beta", H1),
        (FindingKind.QUANTITY, "Alpha", H2),
        (FindingKind.NOT_ON_LEDGER, "Alpha", H3),
    }
    quantity = next(f for f in findings if f.kind is FindingKind.QUANTITY)
    assert (quantity.expected, quantity.actual) == (Decimal("2.5"), Decimal(2))
    status = next(f for f in findings if f.kind is FindingKind.STATUS)
    assert "the ledger says failed, AWS answered Success" in status.detail


def test_a_record_under_the_other_identity_model_is_the_same_customer(books):
    world = books.world
    trade(books)
    # Beta billed again for H1 seats under a CustomerIdentifier: one customer, two bills.
    with Session(world.engine) as session:
        beta = session.get(type(world.beta), world.beta.id)
        assert beta is not None
        beta.customer_identifier = "cust-beta-legacy"
        session.add(beta)
        session.commit()
    foreign_send(books, "cust-beta-legacy", "seats", H1, "7")
    findings = reconcile(books).findings
    assert [(f.kind, f.customer, f.hour) for f in findings] == [
        (FindingKind.DOUBLE_BILLED, "Beta", H1)
    ]


def test_calls_too_recent_for_cloudtrail_are_not_called_missing(books):
    trade(books)
    books.trail.forget(books.record_id(books.world.alpha.id, books.world.storage.id, H2))
    sent = H3 + timedelta(minutes=5)
    assert reconcile(books, now=sent + timedelta(minutes=20)).findings == []
    later = reconcile(books, now=sent + timedelta(hours=2)).findings
    assert [f.kind for f in later] == [FindingKind.MISSING]


def test_what_cloudtrail_no_longer_keeps_is_said_not_reported(books):
    trade(books)
    later = datetime(2027, 3, 1, tzinfo=UTC)
    books.clock.now = later
    report = reconcile(books, now=later)
    assert report.findings == [] and report.logged_records == 0
    assert "CloudTrail keeps 90 days" in report.as_text()


def test_unprocessed_records_are_not_billed(books):
    """A record AWS left unprocessed, then accepted on the retry, is one clean record."""
    world = books.world
    world.usage(world.beta, world.seats, H1, "5")
    books.marketplace.leave_unprocessed(ACCOUNT, "seats")
    books.send(H2 + timedelta(minutes=5))
    assert reconcile(books).findings == []
