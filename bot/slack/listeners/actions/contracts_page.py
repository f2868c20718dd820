"""The contracts list's Previous / Next buttons: the same message, another page."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.views.contracts import contracts_blocks
from core.errors import InvalidInput
from core.usage.overview import ContractsPage, contracts_page_of


async def contracts_page(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: Any,
) -> None:
    await ack()
    async with reported(body, client, respond):
        await _show_page(str(action.get("value", "")), respond, deps_of(context))


async def _show_page(value: str, respond: AsyncRespond, deps: SlackDeps) -> None:
    product_id, _, page = value.partition("|")
    if not product_id.isdigit() or not (page or "0").isdigit():
        raise InvalidInput("that page button is out of date; run /meter contracts again")
    now = deps.now()

    def load(session: Session) -> ContractsPage:
        return contracts_page_of(session, product_id=int(product_id), now=now, page=int(page or 0))

    result = await deps.read(load)
    await respond(
        text=f"{result.product}: contracts", blocks=contracts_blocks(result), replace_original=True
    )
