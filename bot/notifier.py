"""SlackNotifier: the core.notifier.Notifier that posts to a Slack channel.

Messages are rendered by the pure builder in bot.slack.views.notification; attached
files (charts, CSV invoices) follow in the message's thread with files_upload_v2.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.views.notification import message_blocks, message_text
from core.errors import ExternalServiceError
from core.notifier import Message

log = logging.getLogger(__name__)


class SlackNotifier:
    """Posts to `channel` (METERBOT_CHANNEL) unless a call names another channel."""

    def __init__(self, client: AsyncWebClient, *, channel: str | None) -> None:
        self._client = client
        self._channel = channel

    async def send(self, message: Message, *, channel: str | None = None) -> None:
        target = channel or self._channel
        if not target:
            # No channel configured: say so once per message rather than lose it.
            log.warning("METERBOT_CHANNEL is not set; not posted: %s", message.as_text())
            return
        try:
            posted = await self._client.chat_postMessage(
                channel=target, text=message_text(message), blocks=message_blocks(message)
            )
            for attachment in message.attachments:
                await self._client.files_upload_v2(
                    channel=posted["channel"],
                    thread_ts=posted["ts"],
                    file=attachment.content,
                    filename=attachment.filename,
                    title=attachment.title,
                )
        except SlackApiError as exc:
            raise ExternalServiceError(
                f"Slack refused the message {message.title!r}: {exc.response.get('error')}"
            ) from exc
