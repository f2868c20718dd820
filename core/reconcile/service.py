"""One reconciliation of a month: the ledger against what AWS received (CloudTrail).

The service reads both sides, matches them with the pure functions of
`core.reconcile.records` and returns a report; it changes nothing on the ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from core.periods import Period, month_label
from core.reconcile.cloudtrail import CloudTrailReader, kept_since
from core.reconcile.ledger_side import aws_customers, sent_in
from core.reconcile.records import Logged, match_records
from core.reconcile.report import ReconcileReport
from core.reconcile.trail import received_records

# CloudTrail logs a call about 15 minutes after it; an hour leaves room to spare.
LOG_DELAY = timedelta(hours=1)
# A month's records are sent until 06:00 on the next month's first day; a failed row
# retried later still carries its month's hour, so calls are read a few days further.
SENT_AFTER = timedelta(days=3)


def reconcile_month(
    engine: Engine, *, trail: CloudTrailReader, period: Period, now: datetime
) -> ReconcileReport:
    """The month's ledger rows against the BatchMeterUsage calls CloudTrail holds."""
    report = ReconcileReport(month=month_label(period))
    with Session(engine) as session:
        sent = sent_in(session, period)
        customers = aws_customers(session)
    events = trail.metering_calls(period.start, period.end + SENT_AFTER, now=now)
    received = [r for e in events for r in received_records(e) if r.hour in period]
    logged = Logged(since=kept_since(now), until=now - LOG_DELAY)
    report.findings = match_records(sent, received, customers, logged)
    report.ledger_rows, report.logged_records = len(sent), len(received)
    if period.start < logged.since:
        report.notes.append(
            f"CloudTrail keeps 90 days: calls before {logged.since:%Y-%m-%d %H:%M} UTC "
            "could not be checked"
        )
    return report
