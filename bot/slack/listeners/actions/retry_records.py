"""Retry on a failure notification: resend the failed ledger records (admins only).

The button's value is the comma-separated ledger ids (core.notifier.RETRY_ACTION).
The same message clicked twice (or Slack retrying the click) retries once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from core.access import RETRY_RECORDS
from core.marketplace.submit import retry_records as retry


async def retry_records(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: Any,
) -> None:
    await ack()
    async with reported(body, client, respond, context):
        await _retry(body, str(action.get("value", "")), respond, deps_of(context))


async def _retry(body: dict[str, Any], value: str, respond: AsyncRespond, deps: SlackDeps) -> None:
    user = body["user"]["id"]
    # Refused before claiming the message, so an admin's click on it still retries.
    deps.services.admins.require(user, RETRY_RECORDS, subject=value)
    message_ts = (body.get("container") or {}).get("message_ts", "")
    if not deps.handled.claim(f"retry:{message_ts}:{value}"):
        await respond(
            text="Those records are already being retried.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    record_ids = [int(part) for part in value.split(",") if part.strip().isdigit()]
    report = await deps.blocking(
        retry,
        deps.services.engine,
        record_ids=record_ids,
        actor=user,
        admins=deps.services.admins,
        client=await deps.blocking(deps.metering_client),
        now=deps.now(),
    )
    channel = (body.get("channel") or {}).get("id")
    await deps.notifier.send(report.message(), channel=channel)
