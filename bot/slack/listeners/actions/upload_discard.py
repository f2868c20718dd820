""" "Discard" under a shared file's preview: nothing from it will be sent."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.acked import Interaction, after_ack
from bot.slack.views.blocks import esc
from core.access import UPLOAD_DISCARD
from core.uploads.service import discard_upload


@after_ack
async def upload_discard(press: Interaction) -> None:
    user, upload_id = press.user, int(press.value)
    press.deps.services.admins.require(user, UPLOAD_DISCARD, subject=f"upload {upload_id}")
    now = press.deps.now()

    def discard(session: Session) -> str:
        return discard_upload(session, upload_id=upload_id, user=user, now=now).file_name

    name = await press.deps.write(discard)
    await press.respond(
        text=f"{esc(name)} was discarded by <@{user}>: nothing from it was sent.",
        replace_original=True,
    )
