"""Refunds for over-billing: a billing adjustment request per finding, asked once.

The request is written down (`refundrequest`, with a client token derived from the
finding) and committed before AWS is called, like the metering ledger: a retry after a
failure or a crash sends the same token, and AWS answers the same request instead of
opening a second one. Once AWS has an id for it, asking again changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.access import REQUEST_REFUND, Admins
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.models import AuditEvent, FindingState, ReconcileFinding, RefundRequest
from core.notifier import Message, Severity
from core.reconcile.adjustments import CENT, REASON, Adjustment, BillingAdjustments
from core.reconcile.findings import FindingKind


@dataclass(frozen=True)
class RefundDraft:
    """What the refund modal shows: the invoice, the most that can be asked, a suggestion."""

    finding_id: int
    agreement_id: str
    invoice_id: str
    currency: str
    over_billed: Decimal
    max_amount: Decimal
    suggested: Decimal
    description: str


def client_token(finding_key: str) -> str:
    """The same finding always gives the same token (AWS: [a-zA-Z0-9-]{1,64})."""
    return "meterbot-" + hashlib.sha256(finding_key.encode()).hexdigest()[:48]


def refund_draft(session: Session, finding_id: int) -> RefundDraft:
    finding = session.get(ReconcileFinding, finding_id)
    if finding is None:
        raise NotFound(f"no reconciliation finding {finding_id}")
    if finding.kind != FindingKind.INVOICE or not finding.invoice_id or not finding.agreement_id:
        raise InvalidInput("a refund is asked against an invoice: use the month's invoice finding")
    over = (finding.actual or Decimal(0)) - (finding.expected or Decimal(0))
    if over <= 0:
        raise InvalidInput(f"{finding.agreement_id} {finding.month} was not over-charged")
    ceiling = finding.max_adjustment if finding.max_adjustment is not None else over
    return RefundDraft(
        finding_id=finding_id,
        agreement_id=finding.agreement_id,
        invoice_id=finding.invoice_id,
        currency=finding.currency or "USD",
        over_billed=over,
        max_amount=ceiling.quantize(CENT),
        suggested=min(over, ceiling).quantize(CENT),
        description=f"Metering error: {finding.month} invoiced above metered usage by "
        f"{over.quantize(CENT):f} {finding.currency or 'USD'}",
    )


def request_refund(
    engine: Engine,
    adjustments: BillingAdjustments,
    *,
    finding_id: int,
    amount: Decimal,
    description: str,
    actor: str,
    admins: Admins,
    now: datetime,
) -> RefundRequest:
    """Ask AWS once for `amount` back on the finding's invoice; audited with `actor`."""
    admins.require(actor, REQUEST_REFUND, subject=f"finding {finding_id}")
    with session_scope(engine) as session:
        refund = _written_down(session, finding_id, amount, description, actor, now)
    if refund.request_id is not None:
        return refund  # AWS has it already: a second press asks nothing
    request_id = adjustments.request(
        Adjustment(
            agreement_id=refund.agreement_id,
            invoice_id=refund.invoice_id,
            amount=refund.amount,
            currency=refund.currency,
            description=refund.description,
            client_token=refund.client_token,
        )
    )
    with session_scope(engine) as session:
        return _requested(session, refund.id or 0, request_id, now)


def refresh_refund(
    engine: Engine, adjustments: BillingAdjustments, *, refund_id: int, now: datetime
) -> RefundRequest:
    """AWS's current status of a refund request."""
    with session_scope(engine) as session:
        refund = session.get(RefundRequest, refund_id)
        if refund is None or refund.request_id is None:
            raise NotFound(f"no refund request {refund_id} known to AWS")
        answer = adjustments.status(refund.agreement_id, refund.request_id)
        refund.status, refund.status_message = answer.status, answer.message or None
        refund.updated_at = now
        session.add(refund)
        return refund


def refund_message(refund: RefundRequest, customer: str) -> Message:
    return Message(
        "Refund requested",
        f"{refund.currency} {refund.amount:,.2f} back on invoice {refund.invoice_id}",
        Severity.INFO,
        facts=[
            ("Customer", customer),
            ("Agreement", refund.agreement_id),
            ("Request", f"{refund.request_id} ({refund.status})"),
            ("Reason", REASON),
            ("Asked by", f"<@{refund.requested_by}>"),
        ],
        lines=[refund.description],
    )


def _written_down(
    session: Session, finding_id: int, amount: Decimal, description: str, actor: str, now: datetime
) -> RefundRequest:
    existing = session.exec(
        select(RefundRequest).where(RefundRequest.finding_id == finding_id)
    ).first()
    if existing is not None:
        return existing  # the same request, whatever this press asked: one per finding
    draft = refund_draft(session, finding_id)
    if amount != amount.quantize(CENT) or not 0 < amount <= draft.max_amount:
        raise InvalidInput(
            f"the amount must be above 0, in cents, and at most {draft.currency} "
            f"{draft.max_amount.quantize(CENT):f} (AWS's maxAdjustmentAmount for the invoice)"
        )
    if not description.strip():
        raise InvalidInput("say what went wrong (the description is empty)")
    finding = session.get(ReconcileFinding, finding_id)
    assert finding is not None  # refund_draft found it
    refund = RefundRequest(
        finding_id=finding_id,
        client_token=client_token(finding.key),
        agreement_id=draft.agreement_id,
        invoice_id=draft.invoice_id,
        amount=amount,
        currency=draft.currency,
        reason=REASON,
        description=description.strip()[:500],
        requested_by=actor,
        requested_at=now,
    )
    session.add(refund)
    session.flush()
    return refund


def _requested(session: Session, refund_id: int, request_id: str, now: datetime) -> RefundRequest:
    refund = session.get(RefundRequest, refund_id)
    assert refund is not None
    refund.request_id, refund.status, refund.updated_at = request_id, "PENDING", now
    finding = session.get(ReconcileFinding, refund.finding_id)
    if finding is not None:
        finding.state, finding.changed_by, finding.changed_at = (
            FindingState.REFUNDED,
            refund.requested_by,
            now,
        )
        session.add(finding)
    session.add(refund)
    session.add(
        AuditEvent(
            at=now,
            actor=refund.requested_by,
            action="reconcile.refund",
            subject=refund.invoice_id[:255],
            detail={
                "finding": refund.finding_id,
                "agreement": refund.agreement_id,
                "amount": f"{refund.amount:f}",
                "currency": refund.currency,
                "request": request_id,
            },
        )
    )
    session.flush()
    return refund
