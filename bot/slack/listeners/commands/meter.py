"""/meter: acknowledge at once, then hand the text to its subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.slack.acked import Interaction, after_ack
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


@after_ack
async def meter_command(slash: Interaction) -> None:
    parsed = parse(slash.body.get("text", ""))
    if isinstance(parsed, Unknown):
        blocks = help_blocks(parsed.word, parsed.suggestions)
        await slash.respond(
            text=help_text(parsed.word, parsed.suggestions),
            blocks=blocks,
            response_type="ephemeral",
        )
        return
    handler = HANDLERS.get(parsed.name)
    if handler is None:  # help
        await slash.respond(text=help_text(), blocks=help_blocks(), response_type="ephemeral")
        return
    await handler(CommandRequest(slash.body, parsed.rest, slash.respond, slash.client, slash.deps))
