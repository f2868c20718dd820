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
from core.errors import NotFound
from core.models import Product
from core.usage.overview import ContractsPage
from core.usage.overview import contracts_page as load_page


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
    now = deps.now()

    def load(session: Session) -> ContractsPage:
        product = session.get(Product, int(product_id))
        if product is None:
            raise NotFound("that product no longer exists")
        return load_page(session, product=product, now=now, page=int(page or 0))

    result = await deps.read(load)
    await respond(
        text=f"{result.product}: contracts", blocks=contracts_blocks(result), replace_original=True
    )
