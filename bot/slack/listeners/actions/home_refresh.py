"""The home tab's Refresh button."""

from __future__ import annotations

from bot.slack.acked import Interaction, after_ack
from bot.slack.listeners.home import publish_home


@after_ack
async def home_refresh(press: Interaction) -> None:
    await publish_home(press.client, press.deps, press.user)
