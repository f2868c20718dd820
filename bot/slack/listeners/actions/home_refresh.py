"""The home tab's Refresh button."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import deps_of
from bot.slack.errors import reported
from bot.slack.listeners.home import publish_home


async def home_refresh(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    await ack()
    async with reported(body, client):
        await publish_home(client, deps_of(context), body["user"]["id"])
