"""Confirm on the refund's confirm step: ask AWS once, then announce the request.

The modal turns into "Requesting…" in the acknowledgement. A second Confirm (a double
click, Slack retrying) is claimed away here, and the refund service answers any that
get through with the request already made: AWS is asked once per finding.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.listeners.modal_outcome import OpenModal, refused
from bot.slack.views.entry import message_view
from bot.slack.views.refund import RefundAsk
from core.access import REQUEST_REFUND
from core.models import ReconcileFinding, RefundRequest
from core.reconcile.adjustments import BillingAdjustments
from core.reconcile.refunds import refund_message, request_refund


async def refund_confirmed(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    ask = RefundAsk.from_metadata(view.get("private_metadata") or "")
    subject = f"finding {ask.finding_id}"
    if await refused(ack, deps, user, REQUEST_REFUND, subject=subject, title="Not asked"):
        return
    if not deps.handled.claim(f"refund:{ask.finding_id}"):
        await ack(response_action="update", view=message_view("Refund", "Already requested."))
        return
    await ack(response_action="update", view=message_view("Refund", "Asking AWS for the refund…"))
    async with reported(body, client, context=context):
        await _ask(ask, user=user, modal=OpenModal(client, view["id"]), deps=deps)


async def _ask(ask: RefundAsk, *, user: str, modal: OpenModal, deps: SlackDeps) -> None:
    def request() -> RefundRequest:  # the boto3 client is built here, in the thread
        return request_refund(
            deps.services.engine, BillingAdjustments(deps.services.agreements),
            finding_id=ask.finding_id, amount=ask.amount, description=ask.description,
            actor=user, admins=deps.services.admins, now=deps.now(),
        )  # fmt: skip

    what = f"refund for finding {ask.finding_id} by {user}"
    # An error other than a refusal leaves "Asking AWS…" in the modal: no records were sent.
    refund = await modal.outcome(deps.blocking(request), what=what, title="Not asked", unknown=None)
    if refund is None:
        deps.handled.forget(f"refund:{ask.finding_id}")  # nothing was asked: may be tried again
        return
    message = refund_message(refund, customer=await _customer(deps, ask.finding_id))
    await modal.show(message_view("Refund requested", message.summary))
    await deps.notifier.send(message, channel=ask.channel or None)


async def _customer(deps: SlackDeps, finding_id: int) -> str:
    def name(session: Session) -> str:
        finding = session.get(ReconcileFinding, finding_id)
        return finding.customer if finding is not None else "-"

    return await deps.read(name)
