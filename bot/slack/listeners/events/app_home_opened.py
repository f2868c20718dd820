"""Someone opened meterbot's home tab: publish it (Bolt has already acknowledged)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import deps_of
from bot.slack.errors import reported
from bot.slack.listeners.home import publish_home


async def app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    if event.get("tab", "home") != "home":
        return
    async with reported(body, client):
        await publish_home(client, deps_of(context), event["user"])
