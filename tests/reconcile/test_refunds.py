"""Refunds for an over-charged invoice: one BatchCreateBillingAdjustmentRequest, never two."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.access import Admins
from core.errors import ExternalServiceError, InvalidInput, NotAllowed
from core.models import AuditEvent, FindingState, ReconcileFinding, RefundRequest
from core.reconcile import InvoiceReader, reconcile_and_keep
from core.reconcile.adjustments import BillingAdjustments
from core.reconcile.refunds import client_token, refresh_refund, refund_draft, request_refund
from tests.reconcile.conftest import AFTER_INVOICES, Books
from tests.reconcile.test_money import NOVEMBER

ADMIN = "UADMIN001"
ADMINS = Admins(frozenset({ADMIN}))


@pytest.fixture
def over_charged(priced: Books, agreements) -> int:
    """November invoiced at 95 where the ledger says 70: an open invoice finding."""
    agreements.add_invoice(
        "agmt-beta", "inv-1", month=(2026, 11), amount="95.00", max_adjustment="80.00"
    )
    reconcile_and_keep(
        priced.world.engine, trail=priced.reader(),
        invoices=InvoiceReader(agreements.boto_client()), period=NOVEMBER,
        now=AFTER_INVOICES, actor="test",
    )  # fmt: skip
    with Session(priced.world.engine) as session:
        return session.exec(select(ReconcileFinding.id)).one() or 0


def ask(books: Books, agreements, finding_id: int, amount: str = "25.00", actor: str = ADMIN):
    return request_refund(
        books.world.engine, BillingAdjustments(agreements.boto_client()),
        finding_id=finding_id, amount=Decimal(amount), description="double-billed hour",
        actor=actor, admins=ADMINS, now=AFTER_INVOICES,
    )  # fmt: skip


def test_the_refund_asks_once_for_the_over_billed_amount(priced, agreements, over_charged):
    with Session(priced.world.engine) as session:
        draft = refund_draft(session, over_charged)
    assert (draft.invoice_id, draft.suggested, draft.max_amount) == (
        "inv-1",
        Decimal(25),
        Decimal(80),
    )

    refund = ask(priced, agreements, over_charged, f"{draft.suggested}")
    again = ask(priced, agreements, over_charged)  # a second press, a retried request

    [call] = agreements.calls_to("BatchCreateBillingAdjustmentRequest")
    [entry] = call["billingAdjustmentRequestEntries"]
    assert entry["adjustmentAmount"] == "25.00" and entry["originalInvoiceId"] == "inv-1"
    assert entry["adjustmentReasonCode"] == "INCORRECT_METERING"
    with Session(priced.world.engine) as session:
        finding = session.get(ReconcileFinding, over_charged)
        assert finding is not None
        assert entry["clientToken"] == client_token(finding.key)
        assert finding.state == FindingState.REFUNDED and finding.changed_by == ADMIN
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "reconcile.refund")
        ).one()
    assert refund.request_id == again.request_id and refund.request_id is not None
    assert audit.actor == ADMIN and audit.detail["request"] == refund.request_id
    assert len(agreements.adjustments) == 1


def test_a_retry_after_a_lost_answer_sends_the_same_token_and_aws_opens_nothing_new(
    priced,
    agreements,
    over_charged,
):
    agreements.fail_next("InternalServerException", status=500)
    with pytest.raises(ExternalServiceError):
        ask(priced, agreements, over_charged)
    first = ask(priced, agreements, over_charged)
    # The answer was lost after AWS acted: the row has no id, the press comes again.
    with Session(priced.world.engine) as session:
        row = session.exec(select(RefundRequest)).one()
        row.request_id = None
        session.add(row)
        session.commit()
    second = ask(priced, agreements, over_charged)
    tokens = {
        c["billingAdjustmentRequestEntries"][0]["clientToken"]
        for c in agreements.calls_to("BatchCreateBillingAdjustmentRequest")
    }
    assert len(tokens) == 1 and first.request_id == second.request_id
    assert len(agreements.adjustments) == 1


def test_more_than_aws_allows_is_refused_and_nothing_is_sent(priced, agreements, over_charged):
    with pytest.raises(InvalidInput, match=r"at most USD 80\.00"):
        ask(priced, agreements, over_charged, "80.01")
    assert agreements.calls_to("BatchCreateBillingAdjustmentRequest") == []


def test_a_non_admin_is_refused_by_the_service_and_nothing_is_written(
    priced, agreements, over_charged
):
    with pytest.raises(NotAllowed, match="request refunds"):
        ask(priced, agreements, over_charged, actor="UNOBODY01")
    assert agreements.calls_to("BatchCreateBillingAdjustmentRequest") == []
    with Session(priced.world.engine) as session:
        assert session.exec(select(RefundRequest)).all() == []


def test_the_status_is_followed_up(priced, agreements, over_charged):
    refund = ask(priced, agreements, over_charged)
    agreements.settle(refund.request_id, "COMPLETED")
    followed = refresh_refund(
        priced.world.engine, BillingAdjustments(agreements.boto_client()),
        refund_id=refund.id, now=AFTER_INVOICES,
    )  # fmt: skip
    assert followed.status == "COMPLETED"
