""" "Discard" under a shared file's preview: nothing from it will be sent."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import deps_of
from bot.slack.errors import reported
from bot.slack.views.blocks import esc
from core.access import UPLOAD_DISCARD
from core.usage.uploads import discard_upload


async def upload_discard(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, context: Any
) -> None:
    await ack()
    deps = deps_of(context)
    user = body["user"]["id"]
    upload_id = int(body["actions"][0]["value"])
    async with reported(body, client, respond, context):
        deps.services.admins.require(user, UPLOAD_DISCARD, subject=f"upload {upload_id}")
        now = deps.now()

        def discard(session: Session) -> str:
            return discard_upload(session, upload_id=upload_id, user=user, now=now).file_name

        name = await deps.write(discard)
        await respond(
            text=f"{esc(name)} was discarded by <@{user}>: nothing from it was sent.",
            replace_original=True,
        )
