"""/meter upload: the admin's next file shared in this channel is read as usage (10 min)."""

from __future__ import annotations

from bot.slack.deps import UPLOAD_WAIT
from core.access import UPLOAD_USAGE
from core.uploads.file import LIMITS

from .request import CommandRequest

HOW = (
    "a CSV with a header line and the columns timestamp, customer, dimension and quantity "
    "(or the names the plans file's field mapping gives them); at most " + LIMITS + ". "
    "I will reply in its thread with what would be sent, and nothing goes to AWS "
    "until you press *Review and send* and confirm."
)


async def run(req: CommandRequest) -> None:
    req.deps.services.admins.require(req.user_id, UPLOAD_USAGE, subject=req.rest)
    if req.channel_id.startswith("D"):
        await req.reply(f"Share the file right here: {HOW}")
        return
    req.deps.expect_upload(req.channel_id, req.user_id)
    minutes = int(UPLOAD_WAIT.total_seconds() // 60)
    await req.reply(f"Share the file in this channel within {minutes} minutes: {HOW}")
