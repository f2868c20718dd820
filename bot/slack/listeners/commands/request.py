"""What a subcommand handler is given: the command, its arguments and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps


@dataclass
class CommandRequest:
    command: dict[str, Any]
    rest: str  # the text after the subcommand
    respond: AsyncRespond
    client: AsyncWebClient
    deps: SlackDeps

    @property
    def user_id(self) -> str:
        return str(self.command.get("user_id", ""))

    @property
    def channel_id(self) -> str:
        return str(self.command.get("channel_id", ""))

    @property
    def trigger_id(self) -> str:
        return str(self.command.get("trigger_id", ""))

    async def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Only the person who typed the command sees the answer."""
        await self.respond(text=text, blocks=blocks, response_type="ephemeral")
