""" "Confirm send" on a shared file's confirm modal: send once, then every record's status.

The modal turns into "Sending…" in the acknowledgement; the upload is claimed in the
database (so a second press, by anyone, sends nothing), its rows go through the ledger
like hand-entered usage, and the file's thread and the channel are told each status.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.listeners.modal_outcome import OpenModal, refused
from bot.slack.views.entry import message_view
from bot.slack.views.upload import status_blocks
from core.access import UPLOAD_SEND
from core.uploads.service import send_upload


async def upload_confirmed(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    upload_id = int(view.get("private_metadata") or 0)
    subject = f"upload {upload_id}"
    if await refused(ack, deps, user, UPLOAD_SEND, subject=subject, title="Not sent"):
        return
    await ack(
        response_action="update",
        view=message_view("Sending", "Sending the file's usage to AWS Marketplace…"),
    )
    async with reported(body, client, context=context):
        await _send(upload_id, user=user, modal=OpenModal(client, view["id"]), deps=deps)


async def _send(upload_id: int, *, user: str, modal: OpenModal, deps: SlackDeps) -> None:
    send = deps.send(send_upload, actor=user, upload_id=upload_id)
    sent = await modal.outcome(send, what=f"upload {upload_id} by {user}")
    if sent is None:
        return
    upload, report = sent
    message = report.message()
    await modal.show(message_view("Usage sent", message.summary))
    blocks = status_blocks(upload.file_name, message.summary, report.outcomes)
    await modal.client.chat_postMessage(
        channel=upload.channel_id,
        thread_ts=upload.thread_ts or None,
        text=f"{upload.file_name}: {message.summary}",
        blocks=blocks,
    )
    facts = [("entered by", f"<@{user}>"), ("file", upload.file_name), *message.facts]
    await deps.notifier.send(replace(message, facts=facts))
