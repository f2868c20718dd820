"""One send: claim rows, fix their Marketplace identity, call, and record every answer.

Rows are marked `sent` and committed before the call; each batch's answers are written
and committed as they arrive. What each answer does to a row:
  Success -> accepted (MeteringRecordId kept); CustomerNotSubscribed -> not_subscribed;
  DuplicateRecord -> duplicate (not billed: Marketplace holds another quantity);
  unprocessed or throttled out -> back as it was, retried next pass;
  5xx or a cut connection -> stays `sent` (outcome unknown), resent identically;
  a stale timestamp -> moved forward (carried) if it was never possibly billed;
  a configuration error -> failed, with the fix.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col, or_, select

from core import formatting
from core.db import session_scope
from core.marketplace.identity import IdentityError, identity_for
from core.marketplace.ledger import SENDABLE, carry_forward, claim, held, release
from core.marketplace.records import Outcome, OutgoingRecord, RecordResult, Sender
from core.marketplace.report import RecordOutcome, SubmitReport
from core.marketplace.window import earliest_open_hour
from core.models import Customer, Dimension, LedgerStatus, MeteringRecord, Product
from core.quantities import quantity_text

STALE_UNKNOWN = (
    "outcome unknown and Marketplace no longer takes this hour: look it up in CloudTrail "
    "(eventName=BatchMeterUsage); if it was not billed, enter it again by hand"
)
ERRORS = {
    Outcome.NOT_SUBSCRIBED: "CustomerNotSubscribed: no active agreement, a wrong id or a "
    "suspended account; check the customer's Marketplace ids and agreement",
    Outcome.DUPLICATE: "DuplicateRecord: Marketplace already holds a different quantity for "
    "this customer, dimension and hour; this quantity was NOT billed",
}
WAVE = 1000  # rows prepared at a time: the first calls start while later rows are prepared
Prior = dict[int, tuple[str, datetime | None]]  # row id -> (status, sent_at) before the claim


def send_rows(
    engine: Engine,
    *,
    client: Sender,
    now: datetime,
    report: SubmitReport,
    ids: Sequence[int] | None = None,
) -> SubmitReport:
    """Send every claimable row (or just `ids`), recording outcomes on `report`."""
    prior: Prior = {}
    with session_scope(engine) as session:
        owner = _owner()
        claimed = [row.id or 0 for row in claim(session, owner=owner, now=now, ids=ids)]
        report.held, report.held_until = held(session, owner=owner, now=now, ids=ids)
    if not claimed:
        return report

    def waves() -> Iterator[list[OutgoingRecord]]:
        """Mark a wave sent and commit it before its calls; the next is prepared meanwhile."""
        for start in range(0, len(claimed), WAVE):
            with session_scope(engine) as session:
                wanted = col(MeteringRecord.id).in_(claimed[start : start + WAVE])
                rows = sorted(
                    session.exec(select(MeteringRecord).where(wanted)).all(),
                    key=lambda r: (r.hour, r.id or 0),
                )
                wave = _prepare(session, rows, now=now, prior=prior, report=report)
            yield wave

    def on_results(results: list[RecordResult]) -> None:
        with session_scope(engine) as session:
            _apply(session, results, now=now, prior=prior, report=report)

    stats = client.send_waves(waves(), on_results)
    report.calls += stats.calls
    report.throttles += stats.throttles
    report.retries += stats.retries
    report.seconds += stats.seconds
    return report


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _prepare(
    session: Session,
    rows: list[MeteringRecord],
    *,
    now: datetime,
    prior: Prior,
    report: SubmitReport,
) -> list[OutgoingRecord]:
    """Fix each row's identity (kept from its first send) and mark it sent.

    The changes go out as one bulk update by primary key: setting attributes on
    thousands of ORM objects costs seconds a pass.
    """
    names = _Names(session, rows)
    records, changes = [], []
    for row in rows:
        assert row.id is not None
        try:
            identity = _identity(row, names)
        except IdentityError as exc:
            row.status, row.last_error = LedgerStatus.FAILED, str(exc)
            release(row, now=now)
            report.outcomes.append(names.outcome(row))
            continue
        prior[row.id] = (row.status, row.sent_at)
        changes.append(
            {
                "id": row.id,
                "status": LedgerStatus.SENT,
                "attempts": row.attempts + 1,
                "sent_at": row.sent_at or now,
                "updated_at": now,
                **identity,
            }
        )
        records.append(
            OutgoingRecord(
                ref=row.id,
                model=identity["model"],
                scope=identity["scope"],
                batch_key=identity["batch_key"],
                customer=identity["customer_ref"],
                dimension=identity["dimension_key"],
                hour=row.hour,
                quantity=quantity_text(row.quantity),
            )
        )
    if changes:
        session.flush()
        session.execute(update(MeteringRecord), changes)
    return records


def _identity(row: MeteringRecord, names: _Names) -> dict[str, str]:
    """The identity the row was first sent with, or the customer's at the row's hour."""
    if row.scope is not None:
        return {
            "model": row.model or "",
            "scope": row.scope,
            "customer_ref": row.customer_ref or "",
            "dimension_key": row.dimension_key or "",
            "batch_key": row.batch_key or "",
        }
    customer, dimension = names.customers[row.customer_id], names.dimensions[row.dimension_id]
    product = names.products[dimension.product_id]
    identity = identity_for(customer, product, dimension, row.hour)
    return {
        "model": identity.model,
        "scope": identity.scope,
        "customer_ref": identity.customer_ref,
        "dimension_key": identity.dimension_key,
        "batch_key": identity.batch_key,
    }


def _apply(
    session: Session,
    results: list[RecordResult],
    *,
    now: datetime,
    prior: Prior,
    report: SubmitReport,
) -> None:
    refs = [r.ref for r in results]
    rows = {
        row.id: row
        for row in session.exec(select(MeteringRecord).where(col(MeteringRecord.id).in_(refs)))
    }
    names = _Names(session, list(rows.values()))
    for result in results:
        row = rows[result.ref]
        _settle(session, row, result, now=now, prior=prior[result.ref], names=names)
        release(row, now=now)
        report.outcomes.append(names.outcome(row))


def _settle(
    session: Session,
    row: MeteringRecord,
    result: RecordResult,
    *,
    now: datetime,
    prior: tuple[str, datetime | None],
    names: _Names,
) -> None:
    outcome = result.outcome
    if outcome is Outcome.SUCCESS:
        row.status, row.metering_record_id, row.last_error = (
            LedgerStatus.ACCEPTED,
            result.metering_record_id,
            None,
        )
    elif outcome in ERRORS:
        status = (
            LedgerStatus.NOT_SUBSCRIBED
            if outcome is Outcome.NOT_SUBSCRIBED
            else LedgerStatus.DUPLICATE
        )
        row.status, row.last_error = status, ERRORS[outcome]
        if outcome is Outcome.NOT_SUBSCRIBED and prior[1] is None:
            # Marketplace billed nothing under these ids, so after the customer's ids
            # are corrected a retry may send under the new ones.
            _forget_identity(row)
    elif outcome in (Outcome.NOT_PROCESSED, Outcome.HELD):
        (row.status, row.sent_at), row.last_error = prior, result.error
    elif outcome is Outcome.UNKNOWN:
        row.status, row.last_error = LedgerStatus.SENT, result.error
    elif outcome is Outcome.OUT_OF_WINDOW and prior[1] is None:
        move_forward(session, row, now=now, dimension=names.dimensions[row.dimension_id])
    elif outcome is Outcome.OUT_OF_WINDOW:
        row.status, row.last_error = LedgerStatus.FAILED, STALE_UNKNOWN
    else:  # a configuration error: refused unprocessed, so a retry may use fixed ids
        row.status, row.last_error = LedgerStatus.FAILED, result.error
        if prior[1] is None:
            _forget_identity(row)


def _forget_identity(row: MeteringRecord) -> None:
    """The row was never billed under its ids: its next send takes the customer's current ones."""
    row.sent_at = row.model = row.scope = row.customer_ref = None
    row.dimension_key = row.batch_key = None


def screen_stale(session: Session, *, now: datetime) -> list[RecordOutcome]:
    """Unsent rows whose hour Marketplace no longer takes: moved forward, or, if they may
    already have been billed, failed for a person to reconcile. Oldest first."""
    free = or_(col(MeteringRecord.claimed_until).is_(None), col(MeteringRecord.claimed_until) < now)
    rows = list(
        session.exec(
            select(MeteringRecord)
            .where(col(MeteringRecord.status).in_(SENDABLE), free)
            .where(col(MeteringRecord.hour) < earliest_open_hour(now))
            .order_by(col(MeteringRecord.hour), col(MeteringRecord.id))
        ).all()
    )
    names = _Names(session, rows)
    for row in rows:
        if row.sent_at is None:
            move_forward(session, row, now=now, dimension=names.dimensions[row.dimension_id])
        else:
            row.status, row.last_error, row.updated_at = LedgerStatus.FAILED, STALE_UNKNOWN, now
    return [names.outcome(row) for row in rows]


def move_forward(
    session: Session, row: MeteringRecord, *, now: datetime, dimension: Dimension
) -> None:
    """A never-sent row whose hour has closed: its quantity is owed on the next record."""
    carry_forward(
        session, customer_id=row.customer_id, dimension=dimension, units=row.quantity, now=now
    )
    row.status = LedgerStatus.MOVED
    row.last_error = None
    carried = formatting.quantity(row.quantity)
    row.note = f"hour closed before it was sent; {carried} carried to the next open hour"
    row.updated_at = now


class _Names:
    """Customers, dimensions and products of a set of rows, loaded once."""

    def __init__(self, session: Session, rows: list[MeteringRecord]) -> None:
        customer_ids = {r.customer_id for r in rows}
        dimension_ids = {r.dimension_id for r in rows}
        self.customers = {
            c.id or 0: c
            for c in session.exec(select(Customer).where(col(Customer.id).in_(customer_ids)))
        }
        self.dimensions = {
            d.id or 0: d
            for d in session.exec(select(Dimension).where(col(Dimension.id).in_(dimension_ids)))
        }
        product_ids = {d.product_id for d in self.dimensions.values()}
        self.products = {
            p.id or 0: p
            for p in session.exec(select(Product).where(col(Product.id).in_(product_ids)))
        }

    def outcome(self, row: MeteringRecord, status: str | None = None) -> RecordOutcome:
        return RecordOutcome(
            record_id=row.id or 0,
            customer=self.customers[row.customer_id].name,
            dimension=self.dimensions[row.dimension_id].key,
            hour=row.hour,
            quantity=row.quantity,
            status=status or row.status,
            error=row.last_error,
            note=row.note,
            unit=self.dimensions[row.dimension_id].unit,
            model=row.model or self.model(row),
        )

    def model(self, row: MeteringRecord) -> str:
        """The identity model the row would be sent under (fixed at its first send)."""
        dimension = self.dimensions[row.dimension_id]
        try:
            customer, product = self.customers[row.customer_id], self.products[dimension.product_id]
            return identity_for(customer, product, dimension, row.hour).model
        except (IdentityError, KeyError):
            return ""
