"""One reconciliation of a month: the ledger against what AWS received (CloudTrail) and
what it invoiced (the Agreement Service).

The service reads both sides, matches them with the pure functions of
`core.reconcile.records` and `core.reconcile.money` and returns a report; it changes
nothing on the ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from core.db import session_scope
from core.periods import Period, month_label
from core.reconcile.cloudtrail import CloudTrailReader, kept_since
from core.reconcile.invoices import InvoiceLine, InvoiceReader
from core.reconcile.ledger_side import aws_customers, sent_in
from core.reconcile.money import compare_invoices
from core.reconcile.rate_card import Priced, agreements_in, expected_cost
from core.reconcile.records import Logged, match_records
from core.reconcile.report import ReconcileReport
from core.reconcile.runs import keep_run
from core.reconcile.trail import received_records
from core.reconcile.weekly import WeeklyMoney

# CloudTrail logs a call about 15 minutes after it; an hour leaves room to spare.
LOG_DELAY = timedelta(hours=1)
# A month's records are sent until 06:00 on the next month's first day; a failed row
# retried later still carries its month's hour, so calls are read a few days further.
SENT_AFTER = timedelta(days=3)
# AWS issues a month's usage invoices in the first days of the next month.
INVOICED_AFTER = timedelta(days=5)
DEFAULT_TOLERANCE = Decimal("0.50")


def reconcile_month(
    engine: Engine,
    *,
    trail: CloudTrailReader,
    invoices: InvoiceReader | None = None,
    period: Period,
    now: datetime,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> ReconcileReport:
    """The month's ledger rows against the BatchMeterUsage calls CloudTrail holds and,
    with `invoices`, each agreement's cost at its rate card against AWS's invoices."""
    report = ReconcileReport(month=month_label(period))
    _check_records(engine, trail, period, now, report)
    if invoices is not None:
        _check_money(engine, invoices, period, now, tolerance, report)
    return report


def reconcile_and_keep(
    engine: Engine,
    *,
    trail: CloudTrailReader,
    invoices: InvoiceReader | None,
    period: Period,
    now: datetime,
    actor: str,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> ReconcileReport:
    """`reconcile_month`, then the run and its findings kept (states carried over)."""
    report = reconcile_month(
        engine, trail=trail, invoices=invoices, period=period, now=now, tolerance=tolerance
    )
    with session_scope(engine) as session:
        keep_run(session, report, actor=actor, now=now)
    return report


def _check_records(
    engine: Engine, trail: CloudTrailReader, period: Period, now: datetime, report: ReconcileReport
) -> None:
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


def _check_money(
    engine: Engine,
    invoices: InvoiceReader,
    period: Period,
    now: datetime,
    tolerance: Decimal,
    report: ReconcileReport,
) -> None:
    if now < period.end:
        report.notes.append(f"invoices are checked once {report.month} has ended")
        return
    with Session(engine) as session:
        priced = [expected_cost(session, a, period) for a in agreements_in(session, period)]
    report.agreements = len(priced)
    if priced:
        report.weekly = WeeklyMoney(currency=priced[0].expected.currency)
    for item in priced:
        lines = invoices.lines(item.expected.agreement_id, period)
        _chart(report, item, lines, period)
        if not lines and now < period.end + INVOICED_AFTER:
            report.notes.append(f"{item.expected.agreement_id}: not invoiced yet")
            continue
        finding = compare_invoices(item.expected, lines, tolerance)
        if finding is not None:
            report.findings.append(finding)
        if item.unpriced:
            report.notes.append(
                f"{item.expected.agreement_id}: no AWS price for {', '.join(item.unpriced)}: "
                "not counted in the expected amount"
            )


def _chart(report: ReconcileReport, item: Priced, lines: list[InvoiceLine], period: Period) -> None:
    """The agreement's sent and invoiced money into the weekly chart (one currency)."""
    weekly, currency = report.weekly, item.expected.currency
    if weekly is None or currency != weekly.currency:
        report.notes.append(f"{item.expected.agreement_id}: billed in {currency}, not drawn in "
                            "the chart of the first agreement's currency")  # fmt: skip
        return
    weekly.add_sent(item.costs)
    issued = [(line.issued_at or period.end, line.signed_amount) for line in lines]
    weekly.add_invoiced(issued)
