"""/meter: acknowledge at once, then hand the text to its subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import deps_of
from bot.slack.errors import reported
from bot.slack.subcommands import Unknown, parse
from bot.slack.views.help import help_blocks, help_text

from . import alerts, contracts, digest, enter, invoice, plans, reconcile, status, upload, usage
from .request import CommandRequest

Handler = Callable[[CommandRequest], Awaitable[None]]
HANDLERS: dict[str, Handler] = {
    "contracts": contracts.run,
    "enter": enter.run,
    "upload": upload.run,
    "usage": usage.run,
    "plans": plans.run,
    "invoice": invoice.run,
    "status": status.run,
    "digest": digest.run,
    "alerts": alerts.run,
    "reconcile": reconcile.run,
}


async def meter_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: Any,
) -> None:
    await ack()
    async with reported(command, client, respond, context):
        await _dispatch(command, respond, client, context)


async def _dispatch(
    command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: Any
) -> None:
    parsed = parse(command.get("text", ""))
    if isinstance(parsed, Unknown):
        blocks = help_blocks(parsed.word, parsed.suggestions)
        await respond(
            text=help_text(parsed.word, parsed.suggestions),
            blocks=blocks,
            response_type="ephemeral",
        )
        return
    handler = HANDLERS.get(parsed.name)
    if handler is None:  # help
        await respond(text=help_text(), blocks=help_blocks(), response_type="ephemeral")
        return
    await handler(CommandRequest(command, parsed.rest, respond, client, deps_of(context)))
