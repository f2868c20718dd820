"""End to end: "Request refund" on an over-charged invoice -> the modal -> Review ->
Confirm -> one billing adjustment request at the Agreement Service stand-in, however
often Confirm is pressed; non-admins are refused and audited; too much is a form error."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlmodel import Session, select

from bot.slack import ids
from bot.slack.views.refund import RefundAsk, refund_confirm_view, refund_form_view
from core.models import AuditEvent, FindingState, ReconcileFinding
from core.reconcile.findings import Finding, FindingKind
from core.reconcile.refunds import RefundDraft
from core.reconcile.report import ReconcileReport
from core.reconcile.runs import keep_run
from tests.fakes.agreements import AgreementStandIn
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing, view_update_for
from tests.slack.signed import ADMIN, CHANNEL, USER

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
async def agreements(bot: Bot) -> AsyncIterator[AgreementStandIn]:
    """agmt-beta invoiced USD 95.00 for November (AWS allows 80.00 back)."""
    with AgreementStandIn() as aws:
        aws.add_agreement("agmt-beta", account="111122223333", license_arn="arn:l", start=NOVEMBER)
        aws.add_invoice("agmt-beta", "inv-1", month=(2026, 11), amount="95.00",
                        max_adjustment="80.00")  # fmt: skip
        vars(bot.services)["agreements"] = aws.boto_client()
        yield aws


@pytest.fixture
def report(bot: Bot, agreements: AgreementStandIn) -> ReconcileReport:
    """November's run kept with its one finding: the ledger says 70.00, AWS invoiced 95.00."""
    finding = Finding(
        FindingKind.INVOICE, "invoice:agmt-beta:2026-11", "Beta", "agmt-beta 2026-11: "
        "invoiced USD 95.00, the ledger at the rate card says USD 70.00",
        expected=Decimal("70.00"), actual=Decimal("95.00"), agreement_id="agmt-beta",
        invoice_id="inv-1", currency="USD", max_adjustment=Decimal("80.00"),
    )  # fmt: skip
    kept = ReconcileReport(month="2026-11", findings=[finding])
    with Session(bot.services.engine) as session:
        keep_run(session, kept, actor="test", now=datetime(2026, 12, 6, tzinfo=UTC))
        session.commit()
    return kept


def refund_button(report: ReconcileReport) -> str:
    [action] = report.message().actions
    assert action.action_id == ids.REQUEST_REFUND and action.admin_only
    return action.value


async def open_form(bot: Bot, finding: str) -> dict[str, Any]:
    await bot.says.click(ids.REQUEST_REFUND, finding)
    [opened] = await bot.slack.wait_for("views.open")
    return dict(opened.body["view"])


def entered(amount: str, description: str = "a double-billed hour") -> dict[str, Any]:
    return {
        ids.REFUND_AMOUNT_BLOCK: {ids.REFUND_AMOUNT: {"type": "number_input", "value": amount}},
        ids.REFUND_DESCRIPTION_BLOCK: {
            ids.REFUND_DESCRIPTION: {"type": "plain_text_input", "value": description}
        },
    }


async def test_an_admin_asks_once_for_the_over_billed_amount(bot: Bot, agreements, report):
    form = await open_form(bot, refund_button(report))
    shown = json.dumps(form)
    assert "inv-1" in shown and "INCORRECT_METERING" in shown
    amount = next(b for b in form["blocks"] if b.get("block_id") == ids.REFUND_AMOUNT_BLOCK)
    assert amount["element"]["initial_value"] == "25.00"  # 95.00 invoiced - 70.00 metered

    reviewed = await bot.says.submit(form, entered("25.00"), view_id="V1")
    answer = await reviewed.json()
    assert answer["response_action"] == "update"
    confirm = answer["view"]
    assert confirm["callback_id"] == ids.REFUND_CONFIRM_VIEW and "$25.00" in json.dumps(confirm)

    first = await bot.says.submit(confirm, {}, view_id="V1")
    retried = await bot.says.submit(confirm, {}, view_id="V1", retry=1)  # Slack retrying
    clicked = await bot.says.submit(confirm, {}, view_id="V1")  # a double click
    assert (await first.json())["response_action"] == "update" and retried.status == 200
    assert "Already requested" in json.dumps(await clicked.json())
    [post] = await bot.slack.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    announced = json.dumps(post.body)
    assert "ba-0000000001" in announced and "PENDING" in announced and ADMIN in announced
    assert "Refund requested" in json.dumps(await view_update_for(bot.slack, "V1"))

    [call] = agreements.calls_to("BatchCreateBillingAdjustmentRequest")
    [entry] = call["billingAdjustmentRequestEntries"]
    assert entry["adjustmentAmount"] == "25.00" and entry["originalInvoiceId"] == "inv-1"
    assert len(agreements.adjustments) == 1
    with Session(bot.services.engine) as session:
        finding = session.exec(select(ReconcileFinding)).one()
        assert finding.state == FindingState.REFUNDED and finding.changed_by == ADMIN


async def test_a_non_admin_is_refused_and_audited(bot: Bot, agreements, report):
    await bot.says.click(ids.REQUEST_REFUND, refund_button(report), user=USER)
    reply = await reply_containing(bot.slack, "only meterbot admins")
    assert reply.body["response_type"] == "ephemeral"
    assert bot.slack.calls_to("views.open") == []
    with Session(bot.services.engine) as session:
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "refused:request_refund")
        ).one()
    assert audit.actor == USER
    assert agreements.calls_to("BatchCreateBillingAdjustmentRequest") == []


async def test_more_than_aws_allows_is_a_form_error(bot: Bot, agreements, report):
    form = await open_form(bot, refund_button(report))
    for amount, error in (("80.01", "At most 80.00 USD"), ("0", "above 0")):
        answer = await (await bot.says.submit(form, entered(amount), view_id="V1")).json()
        assert answer["response_action"] == "errors"
        assert error in answer["errors"][ids.REFUND_AMOUNT_BLOCK]
    assert agreements.calls_to("BatchCreateBillingAdjustmentRequest") == []


def test_the_refund_views_are_within_slacks_limits() -> None:
    draft = RefundDraft(
        finding_id=1, agreement_id="agmt-beta", invoice_id="inv-" + "9" * 900, currency="USD",
        over_billed=Decimal("25"), max_amount=Decimal("80.00"), suggested=Decimal("25.00"),
        description="x" * 2000,
    )  # fmt: skip
    ask = RefundAsk(1, CHANNEL, Decimal("25.00"), "y" * 500)
    for view in (refund_form_view(draft, channel=CHANNEL), refund_confirm_view(draft, ask)):
        View(**view).to_dict()  # raises on anything Slack would refuse
