""" "Review and send" under a shared file's preview: the confirm modal with the totals."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.views.entry import loading_view, message_view
from bot.slack.views.upload import confirm_upload_view
from core.access import UPLOAD_SEND
from core.errors import MeterbotError
from core.models import UploadState
from core.usage.uploads import load_upload, upload_totals


async def upload_review(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, context: Any
) -> None:
    await ack()
    async with reported(body, client, respond, context):
        await _review(body, client, respond, deps_of(context))


async def _review(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: SlackDeps
) -> None:
    user = body["user"]["id"]
    upload_id = int(body["actions"][0]["value"])
    deps.services.admins.require(user, UPLOAD_SEND, subject=f"upload {upload_id}")
    # A trigger lasts three seconds: open the modal first, fill it in after.
    opened = await client.views_open(trigger_id=body["trigger_id"], view=loading_view())
    view_id = opened["view"]["id"]
    now = deps.now()

    def load(session: Session) -> dict[str, object]:
        upload = load_upload(session, upload_id)
        if upload.state != UploadState.PREVIEWED:
            return message_view(
                "Nothing to send", f"{upload.file_name} was already {upload.state}."
            )
        totals = upload_totals(session, upload, now=now)
        return confirm_upload_view(upload_id, upload.file_name, totals)

    try:
        view = await deps.read(load)
    except MeterbotError as exc:
        view = message_view("Not sent", f"⚠️ {exc}")
    await client.views_update(view_id=view_id, view=view)
