"""The final flush of an ended licence: its last usage sent inside AWS's hour, then closed.

An agreement whose `final_until` is set and `closed_at` is not has a flush pending. The
customer's usage up to the end, the current hour included, is accounted now (not at the
next hourly tick) and sent through the ordinary sender. The licence closes when nothing
is left unsent, or when AWS's hour is over: the customer is no longer metered, and rows
that could not be sent are marked failed on the ledger with the reason. Driven by state,
not by the event, so a crash between the event's commit and the flush is caught up by
the next call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.db import session_scope
from core.marketplace.due import build_due
from core.marketplace.ledger import SENDABLE
from core.marketplace.records import Sender
from core.marketplace.report import SubmitReport
from core.marketplace.sending import send_rows
from core.models import Agreement, AuditEvent, Customer, LedgerStatus, MeteringRecord
from core.periods import HOUR, hour_floor

SOURCE = "final flush"


def flush_closing(engine: Engine, *, sender: Sender, now: datetime) -> list[str]:
    """Flush and close every licence whose final hour is open; what happened, in lines."""
    with session_scope(engine) as session:
        query = select(Agreement).where(
            col(Agreement.final_until).is_not(None), col(Agreement.closed_at).is_(None)
        )
        pending = list(session.exec(query))
    return [line for agreement in pending for line in _flush(engine, agreement, sender, now)]


def _flush(engine: Engine, agreement: Agreement, sender: Sender, now: datetime) -> list[str]:
    assert agreement.final_until is not None
    if sender.dry_run:
        return [f"{agreement.agreement_id}: dry run, final records not sent"]
    through = hour_floor(min(now, agreement.ends_at or now)) + HOUR
    with session_scope(engine) as session:
        build_due(
            session,
            now=now,
            heartbeat=False,
            source=SOURCE,
            customer_ids=[agreement.customer_id],
            through=through,
        )
        ids = _unsent(session, agreement.customer_id)
    report = send_rows(engine, client=sender, now=now, report=SubmitReport(), ids=ids)
    lines = [f"final records sent: {len(report.outcomes)} ({_counts(report)})"]
    with session_scope(engine) as session:
        left = _unsent(session, agreement.customer_id)
        if left and now < agreement.final_until:
            until = f"{agreement.final_until:%H:%M}Z"
            return [*lines, f"{len(left)} records still to send before {until}"]
        lines.append(_close(session, agreement.agreement_id, left, now))
    return lines


def _unsent(session: Session, customer_id: int) -> list[int]:
    query = select(MeteringRecord.id).where(
        MeteringRecord.customer_id == customer_id, col(MeteringRecord.status).in_(SENDABLE)
    )
    return [row for row in session.exec(query) if row is not None]


def _close(session: Session, agreement_id: str, left: list[int], now: datetime) -> str:
    agreement = session.exec(select(Agreement).where(Agreement.agreement_id == agreement_id)).one()
    customer = session.get(Customer, agreement.customer_id)
    assert customer is not None
    reason = (
        f"licence ended ({agreement.agreement_id}); Marketplace takes nothing after its final hour"
    )
    for row in session.exec(select(MeteringRecord).where(col(MeteringRecord.id).in_(left))):
        row.status, row.last_error, row.updated_at = LedgerStatus.FAILED, reason, now
        session.add(row)
    if customer.license_arn in (None, agreement.license_arn):
        customer.active, customer.updated_at = False, now  # no later licence took over
        session.add(customer)
    agreement.closed_at = now
    session.add(agreement)
    detail = {"agreement_id": agreement_id, "unsent": len(left)}
    audit = AuditEvent(at=now, actor="agreements", action="licence.closed", subject=customer.name)
    audit.detail = detail
    session.add(audit)
    return f"{customer.name}: licence closed, nothing more is sent for it ({len(left)} unsent)"


def _counts(report: SubmitReport) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items())) or "none due"
