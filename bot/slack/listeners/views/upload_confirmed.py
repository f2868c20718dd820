""" "Confirm send" on a shared file's confirm modal: send once, then every record's status.

The modal turns into "Sending…" in the acknowledgement; the upload is claimed in the
database (so a second press, by anyone, sends nothing), its rows go through the ledger
like hand-entered usage, and the file's thread and the channel are told each status.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import refusal, reported
from bot.slack.listeners.views.confirm_send import UNKNOWN
from bot.slack.views.entry import message_view
from bot.slack.views.upload import status_blocks
from core.access import UPLOAD_SEND
from core.errors import MeterbotError, NotAllowed
from core.usage.uploads import send_upload

log = logging.getLogger(__name__)


async def upload_confirmed(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    upload_id = int(view.get("private_metadata") or 0)
    try:
        deps.services.admins.require(user, UPLOAD_SEND, subject=f"upload {upload_id}")
    except NotAllowed as error:
        text = await refusal(deps, error, before_ack=True)
        await ack(response_action="update", view=message_view("Not sent", text))
        return
    await ack(
        response_action="update",
        view=message_view("Sending", "Sending the file's usage to AWS Marketplace…"),
    )
    async with reported(body, client, context=context):
        await _send(upload_id, user=user, view_id=view["id"], client=client, deps=deps)


async def _send(
    upload_id: int, *, user: str, view_id: str, client: AsyncWebClient, deps: SlackDeps
) -> None:
    try:
        upload, report = await deps.blocking(
            send_upload,
            deps.services.engine,
            upload_id=upload_id,
            actor=user,
            admins=deps.services.admins,
            client=await deps.blocking(deps.metering_client),
            now=deps.now(),
        )
    except MeterbotError as exc:
        log.info("upload %s not sent by %s: %s", upload_id, user, exc)
        await client.views_update(view_id=view_id, view=message_view("Not sent", f"⚠️ {exc}"))
        return
    except Exception:
        await client.views_update(view_id=view_id, view=message_view("Send interrupted", UNKNOWN))
        raise
    message = report.message()
    await client.views_update(view_id=view_id, view=message_view("Usage sent", message.summary))
    blocks = status_blocks(upload.file_name, message.summary, report.outcomes)
    await client.chat_postMessage(
        channel=upload.channel_id,
        thread_ts=upload.thread_ts or None,
        text=f"{upload.file_name}: {message.summary}",
        blocks=blocks,
    )
    facts = [("entered by", f"<@{user}>"), ("file", upload.file_name), *message.facts]
    await deps.notifier.send(replace(message, facts=facts))
