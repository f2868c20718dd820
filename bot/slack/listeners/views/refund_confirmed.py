"""Confirm on the refund's confirm step: ask AWS once, then announce the request.

The modal turns into "Requesting…" in the acknowledgement. A second Confirm (a double
click, Slack retrying) is claimed away here, and the refund service answers any that
get through with the request already made: AWS is asked once per finding.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import refusal, reported
from bot.slack.views.entry import message_view
from bot.slack.views.refund import RefundAsk
from core.access import REQUEST_REFUND
from core.errors import MeterbotError, NotAllowed
from core.models import ReconcileFinding, RefundRequest
from core.reconcile.adjustments import BillingAdjustments
from core.reconcile.refunds import refund_message, request_refund

log = logging.getLogger(__name__)


async def refund_confirmed(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    ask = RefundAsk.from_metadata(view.get("private_metadata") or "")
    try:
        deps.services.admins.require(user, REQUEST_REFUND, subject=f"finding {ask.finding_id}")
    except NotAllowed as error:
        text = await refusal(deps, error, before_ack=True)
        await ack(response_action="update", view=message_view("Not asked", text))
        return
    if not deps.handled.claim(f"refund:{ask.finding_id}"):
        await ack(response_action="update", view=message_view("Refund", "Already requested."))
        return
    await ack(response_action="update", view=message_view("Refund", "Asking AWS for the refund…"))
    async with reported(body, client, context=context):
        await _ask(ask, user=user, view_id=view["id"], client=client, deps=deps)


async def _ask(
    ask: RefundAsk, *, user: str, view_id: str, client: AsyncWebClient, deps: SlackDeps
) -> None:
    def request() -> RefundRequest:  # the boto3 client is built here, in the thread
        return request_refund(
            deps.services.engine, BillingAdjustments(deps.services.agreements),
            finding_id=ask.finding_id, amount=ask.amount, description=ask.description,
            actor=user, admins=deps.services.admins, now=deps.now(),
        )  # fmt: skip

    try:
        refund = await deps.blocking(request)
    except MeterbotError as exc:
        deps.handled.forget(f"refund:{ask.finding_id}")  # nothing was asked: may be tried again
        log.info("refund for finding %s not asked by %s: %s", ask.finding_id, user, exc)
        await client.views_update(view_id=view_id, view=message_view("Not asked", f"⚠️ {exc}"))
        return
    message = refund_message(refund, customer=await _customer(deps, ask.finding_id))
    await client.views_update(
        view_id=view_id, view=message_view("Refund requested", message.summary)
    )
    await deps.notifier.send(message, channel=ask.channel or None)


async def _customer(deps: SlackDeps, finding_id: int) -> str:
    def name(session: Session) -> str:
        finding = session.get(ReconcileFinding, finding_id)
        return finding.customer if finding is not None else "-"

    return await deps.read(name)
