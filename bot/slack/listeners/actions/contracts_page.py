"""The contracts list's Previous / Next buttons: the same message, another page."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.acked import Interaction, after_ack
from bot.slack.views.contracts import contracts_blocks
from core.errors import InvalidInput
from core.reports.contracts import ContractsPage, contracts_page_of


@after_ack
async def contracts_page(press: Interaction) -> None:
    product_id, _, page = press.value.partition("|")
    if not product_id.isdigit() or not (page or "0").isdigit():
        raise InvalidInput("that page button is out of date; run /meter contracts again")
    now = press.deps.now()

    def load(session: Session) -> ContractsPage:
        return contracts_page_of(session, product_id=int(product_id), now=now, page=int(page or 0))

    result = await press.deps.read(load)
    await press.respond(
        text=f"{result.product}: contracts", blocks=contracts_blocks(result), replace_original=True
    )
