"""A file shared with the bot: an admin's usage CSV, previewed in the file's thread.

Files count when shared in a direct message with the bot, or in a channel right after
`/meter upload`; any other file is none of meterbot's business. A non-admin is refused
(and audited) before anything is downloaded. The file is read with the ingestion
reader and recorded by its content hash, so the same file shared again is refused.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import APOLOGY, refusal, reported
from bot.slack.files import SlackFile, download, file_info
from bot.slack.views.upload import bad_lines_csv, bad_lines_fit, preview_blocks
from core.access import UPLOAD_USAGE
from core.errors import MeterbotError, NotAllowed
from core.uploads.file import AllLinesBad
from core.uploads.service import Preview, SharedFile, preview_upload
from core.uploads.summary import UploadSummary

log = logging.getLogger(__name__)


async def file_shared(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    user, channel = str(event.get("user_id", "")), str(event.get("channel_id", ""))
    if user == context.get("bot_user_id") or not deps.takes_upload(channel, user):
        return
    if not deps.handled.claim(f"file_shared:{event.get('file_id')}:{channel}"):
        return  # Slack delivered the event again: it is being handled
    async with reported(body, client):
        await _shared(deps, client, event, user=user, channel=channel)


async def _shared(
    deps: SlackDeps, client: AsyncWebClient, event: dict[str, Any], *, user: str, channel: str
) -> None:
    try:
        deps.services.admins.require(user, UPLOAD_USAGE, subject=event["file_id"])
    except NotAllowed as error:
        # An event has no response_url: the refusal goes to the channel, seen by them only.
        text = await refusal(deps, error)
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
        return
    info = await file_info(client, event["file_id"], channel)
    try:
        preview = await _preview(deps, client, info, user=user, channel=channel)
    except AllLinesBad as exc:
        preview = Preview(exc.reading, UploadSummary(), None)
    except MeterbotError as exc:
        log.info("file %s from %s refused: %s", info.id, user, exc)
        await _say(client, channel, info, f"⚠️ {exc}")
        return
    except Exception:
        # An event has no response_url: say it in the thread, then let it be logged.
        await _say(client, channel, info, APOLOGY)
        raise
    text, blocks = preview_blocks(preview.reading, preview.summary, preview.upload_id)
    await client.chat_postMessage(
        channel=channel, thread_ts=info.thread_ts or None, text=text, blocks=blocks
    )
    if not bad_lines_fit(preview.reading.bad):
        stem = info.name.rsplit(".", 1)[0]
        await client.files_upload_v2(
            channel=channel,
            thread_ts=info.thread_ts or None,
            content=bad_lines_csv(preview.reading.bad),
            filename=f"{stem}-bad-lines.csv",
            title=f"Bad lines of {info.name}",
        )


async def _say(client: AsyncWebClient, channel: str, info: SlackFile, text: str) -> None:
    await client.chat_postMessage(channel=channel, thread_ts=info.thread_ts or None, text=text)


async def _preview(
    deps: SlackDeps, client: AsyncWebClient, info: SlackFile, *, user: str, channel: str
) -> Preview:
    data = await download(info, str(client.token))
    shared = SharedFile(info.id, info.name, user, channel, info.thread_ts, info.permalink)
    now = deps.now()

    def work(session: Session) -> Preview:
        return preview_upload(session, shared=shared, data=data, now=now)

    return await deps.write(work)
