""" "Request refund" on an over-charged invoice finding: the refund modal (admins only).

The button's value is the finding id (core.reconcile.report.REFUND_ACTION). The modal
shows what AWS allows on the invoice; the channel the button was in is where the
request is announced.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.views.refund import refund_form_view
from core.access import REQUEST_REFUND
from core.errors import InvalidInput
from core.reconcile.refunds import refund_draft


async def request_refund(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: Any,
) -> None:
    await ack()
    async with reported(body, client, respond, context):
        await _open(body, str(action.get("value", "")), respond, client, deps_of(context))


async def _open(
    body: dict[str, Any], value: str, respond: AsyncRespond, client: AsyncWebClient, deps: SlackDeps
) -> None:
    user = body["user"]["id"]
    deps.services.admins.require(user, REQUEST_REFUND, subject=f"finding {value}")
    if not value.isdigit():
        raise InvalidInput("this button does not name a reconciliation finding")
    draft = await deps.read(lambda session: refund_draft(session, int(value)))
    channel = (body.get("channel") or {}).get("id") or ""
    await client.views_open(
        trigger_id=body["trigger_id"], view=refund_form_view(draft, channel=channel)
    )
