"""Runs kept: findings carried from run to run with their state, explained, cleared."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from core.db import session_scope
from core.models import AuditEvent, FindingState, ReconcileFinding, ReconcileRun
from core.periods import parse_month
from core.reconcile import explain, open_findings, reconcile_and_keep
from tests.reconcile.conftest import H1, H2, H3, Books, trade
from tests.reconcile.test_records import foreign_send

NOVEMBER = parse_month("2026-11")
LATER = H3 + timedelta(hours=2)


def run(books: Books, now: datetime = LATER):
    return reconcile_and_keep(
        books.world.engine, trail=books.reader(), invoices=None, period=NOVEMBER, now=now,
        actor="test",
    )  # fmt: skip


def findings(books: Books) -> list[ReconcileFinding]:
    with Session(books.world.engine) as session:
        return list(session.exec(select(ReconcileFinding).order_by(ReconcileFinding.id)).all())


def test_a_run_and_its_findings_are_kept_and_found_again_not_twice(books):
    trade(books)
    foreign_send(books, "cust-alpha", "storage_tb", H1, "1.5")
    first = run(books)
    assert [f.kind for f in first.open] == ["double_billed"]
    again = run(books, LATER + timedelta(days=7))
    assert len(again.open) == 1
    [kept] = findings(books)
    assert (kept.state, kept.kind, kept.customer, kept.hour) == (
        "open",
        "double_billed",
        "Alpha",
        H1,
    )
    with Session(books.world.engine) as session:
        runs = session.exec(select(ReconcileRun).order_by(ReconcileRun.id)).all()
    assert [(r.month, r.found, r.actor) for r in runs] == [("2026-11", 1, "test")] * 2
    assert (kept.first_run_id, kept.last_run_id) == (runs[0].id, runs[1].id)


def test_an_explained_finding_stays_explained_and_stops_counting(books):
    trade(books)
    foreign_send(books, "cust-alpha", "storage_tb", H1, "1.5")
    run(books)
    [kept] = findings(books)
    with session_scope(books.world.engine) as session:
        explain(
            session,
            kept.id or 0,
            actor="U0ADMIN",
            explanation="old biller, refunded by AWS",
            now=LATER,
        )
    report = run(books, LATER + timedelta(days=1))
    assert report.open == [] and len(report.findings) == 1
    assert "(explained)" in report.as_text() and "every difference is explained" in report.as_text()
    [kept] = findings(books)
    assert (kept.state, kept.changed_by) == (FindingState.EXPLAINED, "U0ADMIN")
    with Session(books.world.engine) as session:
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "reconcile.explain")
        ).one()
    assert audit.actor == "U0ADMIN" and audit.detail["explanation"] == "old biller, refunded by AWS"


def test_a_finding_no_longer_found_is_cleared(books):
    trade(books)
    books.trail.forget(books.record_id(books.world.alpha.id, books.world.storage.id, H2))
    assert len(run(books).open) == 1
    # CloudTrail's record turns up after all (the stand-in logs the identical resend).
    foreign = books.record_id(books.world.alpha.id, books.world.storage.id, H2)
    record = {"timestamp": f"{H2:%Y-%m-%dT%H:%M:%SZ}", "customerIdentifier": "cust-alpha",
              "dimension": "storage_tb", "quantityAsDecimal": "2"}  # fmt: skip
    result = {"usageRecord": record, "meteringRecordId": foreign, "status": "Success"}
    books.trail.add_event("BatchMeterUsage", {"productCode": "prod-acme", "usageRecords": [record]},
                          {"results": [result], "unprocessedRecords": []})  # fmt: skip
    assert run(books, LATER + timedelta(hours=1)).open == []
    [kept] = findings(books)
    assert kept.state == FindingState.CLEARED
    with Session(books.world.engine) as session:
        assert open_findings(session) == []
