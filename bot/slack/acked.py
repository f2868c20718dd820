"""Listeners that acknowledge at once and answer afterwards (buttons, `/meter`).

`after_ack(work)` is the Bolt listener around `work(interaction)`: ack() first, so
Slack hears back within its 3 seconds, then the work inside `bot.slack.errors.reported`,
so every error is answered (a refused admin-only attempt audited).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported


@dataclass(frozen=True)
class Interaction:
    """An acknowledged click or command: what Slack sent, and ways to answer."""

    body: dict[str, Any]
    client: AsyncWebClient
    respond: AsyncRespond
    deps: SlackDeps

    @property
    def user(self) -> str:
        """Who clicked (a command's body names them `user_id`)."""
        return str(self.body["user"]["id"])

    @property
    def value(self) -> str:
        """The clicked button's value."""
        return str(self.body["actions"][0].get("value", ""))

    @property
    def channel(self) -> str:
        """The channel of the message clicked in; empty on the home tab."""
        return str((self.body.get("channel") or {}).get("id") or "")

    @property
    def trigger_id(self) -> str:
        return str(self.body["trigger_id"])


Work = Callable[[Interaction], Awaitable[None]]
Listener = Callable[..., Awaitable[None]]


def after_ack(work: Work) -> Listener:
    # Bolt passes a listener the arguments its signature names (after inspect.unwrap):
    # no functools.wraps here, or Bolt would read `work`'s signature instead.
    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: Any,
    ) -> None:
        await ack()
        async with reported(body, client, respond, context):
            await work(Interaction(body, client, respond, deps_of(context)))

    listener.__name__ = listener.__qualname__ = work.__name__
    listener.__doc__ = work.__doc__
    return listener
