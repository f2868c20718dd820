"""The submission service: a scheduled pass, hand-entered usage, and retries.

All three write the ledger and send through the same path (`sending.send_rows`), and
all are synchronous: async callers wrap them in `asyncio.to_thread`. A dry run builds
what is due inside a transaction that is rolled back: nothing is sent, nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.access import RETRY_RECORDS, SEND_USAGE, Admins
from core.db import one_transaction, session_scope
from core.errors import InvalidInput, NotFound
from core.marketplace.due import build_due
from core.marketplace.identity import IdentityError, identity_for
from core.marketplace.ledger import SENDABLE
from core.marketplace.records import OutgoingRecord, Sender, batches
from core.marketplace.report import DRY_RUN, RecordOutcome, SubmitReport
from core.marketplace.sending import _Names, screen_stale, send_rows
from core.marketplace.upcoming import at_period_close
from core.marketplace.window import earliest_open_hour, latest_open_hour
from core.models import AuditEvent, Customer, Dimension, LedgerStatus, MeteringRecord, Product
from core.periods import HOUR, hour_floor
from core.quantities import check_manual
from core.usage.manual_entry import Entry

__all__ = ["RecordOutcome", "SubmitReport", "retry_records", "send_manual"]
NOT_RESENDABLE = {LedgerStatus.ACCEPTED, LedgerStatus.DUPLICATE, LedgerStatus.MOVED}


def submit_due(
    engine: Engine,
    *,
    client: Sender,
    now: datetime,
    dry_run: bool = False,
    actor: str = "scheduled",
    heartbeat: bool = True,
    late_usage: str = "carry",
) -> SubmitReport:
    """Account what is due, then send every sendable row, oldest hours first.

    `late_usage` says what becomes of usage older than Marketplace takes: `carry` (into
    the next open hour of its month) or `report` (not billed, said)."""
    if dry_run or client.dry_run:
        return _dry_run(engine, now=now, heartbeat=heartbeat, actor=actor, late_usage=late_usage)
    report = SubmitReport()
    with session_scope(engine) as session:
        report.moved += [o.describe() for o in screen_stale(session, now=now)]
        due = build_due(session, now=now, heartbeat=heartbeat, source=actor, late_usage=late_usage)
    report.created, report.heartbeats = due.created, due.heartbeats
    report.late, report.moved = due.late, report.moved + due.moved
    return send_rows(engine, client=client, now=now, report=report)


def _dry_run(
    engine: Engine, *, now: datetime, heartbeat: bool, actor: str, late_usage: str
) -> SubmitReport:
    report = SubmitReport(dry_run=True)
    with Session(engine, expire_on_commit=False) as session:
        try:
            report.moved += [o.describe() for o in screen_stale(session, now=now)]
            due = build_due(
                session, now=now, heartbeat=heartbeat, source=actor, late_usage=late_usage
            )
            report.created, report.heartbeats = due.created, due.heartbeats
            report.late, report.moved = due.late, report.moved + due.moved
            report.outcomes = _would_send(session, now=now)
            report.upcoming = at_period_close(session, now=now)
            report.calls = _calls_needed(session, now=now)
        finally:
            session.rollback()
    return report


def _would_send(session: Session, *, now: datetime) -> list[RecordOutcome]:
    rows = list(
        session.exec(
            select(MeteringRecord)
            .where(col(MeteringRecord.status).in_(SENDABLE))
            .where(col(MeteringRecord.hour) <= latest_open_hour(now))
            .order_by(col(MeteringRecord.hour), col(MeteringRecord.id))
        ).all()
    )
    names = _Names(session, rows)
    return [names.outcome(row, status=DRY_RUN) for row in rows]


def _calls_needed(session: Session, *, now: datetime) -> int:
    """How many BatchMeterUsage calls the rows would take (identity-less rows excluded)."""
    rows = session.exec(
        select(MeteringRecord).where(col(MeteringRecord.status).in_(SENDABLE))
    ).all()
    names = _Names(session, list(rows))
    records = []
    for row in rows:
        dimension = names.dimensions[row.dimension_id]
        try:
            identity = identity_for(
                names.customers[row.customer_id],
                names.products[dimension.product_id],
                dimension,
                row.hour,
            )
        except IdentityError:
            continue
        records.append(
            OutgoingRecord(
                row.id or 0,
                identity.model,
                identity.scope,
                identity.batch_key,
                identity.customer_ref,
                identity.dimension_key,
                row.hour,
                "0",
            )
        )
    return sum(1 for _ in batches(records))


def send_manual(
    engine: Engine,
    *,
    entries: Sequence[Entry],
    actor: str,
    admins: Admins,
    client: Sender,
    now: datetime,
    source: str | None = None,
) -> SubmitReport:
    """Send hand-entered usage now, each entry on its own ledger row with `source` (by
    default `actor`, who is named in the audit trail either way).

    An entry goes into its own hour, or the current one when it names none or its hour is
    older than Marketplace accepts (carried, as the late-usage rule says); if that hour's
    row for the customer and dimension was already sent, into the next free hour (queued
    until it begins; the outcome says so).
    """
    admins.require(actor, SEND_USAGE, subject=f"{len(entries)} entries")
    if not entries:
        raise InvalidInput("nothing to send: enter a quantity for at least one dimension")
    report = SubmitReport(dry_run=client.dry_run)
    source = source or actor
    with session_scope(engine) as session:
        one_transaction(session)  # all rows or none, and a dry run writes nothing
        rows = [_manual_row(session, entry, source=source, now=now) for entry in entries]
        session.add(_audit(actor, "marketplace.send_manual", rows, now))
        if client.dry_run:
            names = _Names(session, rows)
            report.outcomes = [names.outcome(row, status=DRY_RUN) for row in rows]
            session.rollback()
            return report
        ids = [row.id or 0 for row in rows]
        queued = [row for row in rows if row.hour > latest_open_hour(now)]
        queued_outcomes = [_Names(session, queued).outcome(row) for row in queued]
    send_rows(engine, client=client, now=now, report=report, ids=ids)
    report.outcomes += queued_outcomes
    return report


def _manual_row(session: Session, entry: Entry, *, source: str, now: datetime) -> MeteringRecord:
    customer = session.get(Customer, entry.customer_id)
    dimension = session.get(Dimension, entry.dimension_id)
    if customer is None or dimension is None:
        raise NotFound("that customer or dimension no longer exists; reopen the form")
    product = session.get(Product, dimension.product_id)
    if product is None or customer.product_id != product.id:
        raise InvalidInput(f"{dimension.key} is not a dimension of {customer.name}'s product")
    try:
        identity_for(customer, product, dimension, latest_open_hour(now))
    except IdentityError as exc:
        raise InvalidInput(str(exc)) from None
    try:
        quantity = check_manual(entry.quantity, dimension)
    except InvalidInput as exc:
        raise InvalidInput(f"{dimension.key} for {customer.name}: {exc}") from None
    wanted = _wanted_hour(entry.hour, now)
    return _insert_in_free_hour(
        session, customer, dimension, quantity, wanted, source=source, now=now
    )


def _wanted_hour(hour: datetime | None, now: datetime) -> tuple[datetime, str]:
    """The hour an entry asks for, or the current one (with why) when it cannot have it."""
    current = latest_open_hour(now)
    if hour is None:
        return current, "entered by hand"
    hour = hour_floor(hour)
    if hour > current:
        return current, f"entered by hand for {hour:%Y-%m-%d %H:00}Z, which has not begun"
    if hour < earliest_open_hour(now):
        return current, (
            f"entered by hand for {hour:%Y-%m-%d %H:00}Z, older than Marketplace accepts: "
            "carried into the current hour"
        )
    return hour, "entered by hand"


def _insert_in_free_hour(
    session: Session,
    customer: Customer,
    dimension: Dimension,
    quantity: Decimal,
    wanted: tuple[datetime, str],
    *,
    source: str,
    now: datetime,
) -> MeteringRecord:
    first, note = wanted
    hour = first
    while True:
        row = MeteringRecord(
            customer_id=customer.id or 0,
            dimension_id=dimension.id or 0,
            hour=hour,
            quantity=quantity,
            source=source[:100],
            created_at=now,
            updated_at=now,
        )
        row.note = note
        if hour != first:
            row.note = (
                f"{note}; {first:%H:00}Z was already sent for {dimension.key}, "
                f"so this goes in {hour:%Y-%m-%d %H:00}Z"
            )[:500]
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            hour += HOUR


def retry_records(
    engine: Engine,
    *,
    record_ids: Sequence[int],
    actor: str,
    admins: Admins,
    client: Sender,
    now: datetime,
) -> SubmitReport:
    """Send the given rows again, identically (after a fix, or an unknown outcome)."""
    admins.require(actor, RETRY_RECORDS, subject=",".join(map(str, record_ids)))
    report = SubmitReport(dry_run=client.dry_run)
    with session_scope(engine) as session:
        rows = list(
            session.exec(select(MeteringRecord).where(col(MeteringRecord.id).in_(record_ids)))
        )
        if not rows:
            raise NotFound(f"no ledger records with ids {', '.join(map(str, record_ids))}")
        names = _Names(session, rows)
        for row in rows:
            if row.status in NOT_RESENDABLE:
                report.outcomes.append(names.outcome(row))
                continue
            row.status = LedgerStatus.SENT if row.sent_at else LedgerStatus.PENDING
            row.claimed_until, row.updated_at = None, now
        session.add(_audit(actor, "marketplace.retry", rows, now))
        if client.dry_run:
            session.rollback()
            report.outcomes += [names.outcome(r, status=DRY_RUN) for r in rows]
            return report
        report.moved += [o.describe() for o in screen_stale(session, now=now)]
        ids = [row.id or 0 for row in rows if row.status in SENDABLE]
    return send_rows(engine, client=client, now=now, report=report, ids=ids) if ids else report


def _audit(actor: str, action: str, rows: list[MeteringRecord], now: datetime) -> AuditEvent:
    return AuditEvent(
        at=now,
        actor=actor,
        action=action,
        subject=",".join(str(row.id) for row in rows)[:255],
        detail={
            "records": [
                {"id": r.id, "hour": r.hour.isoformat(), "quantity": str(r.quantity)} for r in rows
            ]
        },
    )
