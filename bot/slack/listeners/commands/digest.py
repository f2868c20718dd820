"""/meter digest [day|week]: post a digest to this channel now."""

from __future__ import annotations

from sqlmodel import Session

from core.errors import InvalidInput
from core.notifier import Message
from core.reports.digests import DigestKind, build_digest, digest_message

from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    asked = (req.rest or "day").lower()
    if asked not in ("day", "week"):
        raise InvalidInput(f"{req.rest!r}: say /meter digest day or /meter digest week")
    period: DigestKind = "week" if asked == "week" else "day"
    now = req.deps.now()

    def build(session: Session) -> Message:
        return digest_message(build_digest(session, period=period, now=now))

    message = await req.deps.read(build)
    await req.deps.notifier.send(message, channel=req.channel_id)
