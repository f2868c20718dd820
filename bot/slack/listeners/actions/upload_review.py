""" "Review and send" under a shared file's preview: the confirm modal with the totals."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.acked import Interaction, after_ack
from bot.slack.views.entry import loading_view, message_view
from bot.slack.views.upload import confirm_upload_view
from core.access import UPLOAD_SEND
from core.errors import MeterbotError
from core.models import UploadState
from core.uploads.service import load_upload, upload_totals


@after_ack
async def upload_review(press: Interaction) -> None:
    upload_id = int(press.value)
    press.deps.services.admins.require(press.user, UPLOAD_SEND, subject=f"upload {upload_id}")
    # A trigger lasts three seconds: open the modal first, fill it in after.
    opened = await press.client.views_open(trigger_id=press.trigger_id, view=loading_view())
    now = press.deps.now()

    def load(session: Session) -> dict[str, object]:
        upload = load_upload(session, upload_id)
        if upload.state != UploadState.PREVIEWED:
            return message_view(
                "Nothing to send", f"{upload.file_name} was already {upload.state}."
            )
        totals = upload_totals(session, upload, now=now)
        return confirm_upload_view(upload_id, upload.file_name, totals)

    try:
        view = await press.deps.read(load)
    except MeterbotError as exc:
        view = message_view("Not sent", f"⚠️ {exc}")
    await press.client.views_update(view_id=opened["view"]["id"], view=view)
