"""/meter contracts [product]: a page of contracts with usage so far, and a picker."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.views.contracts import contracts_blocks
from core.reports.contracts import ContractsPage, contracts_page, find_product

from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    now = req.deps.now()

    def load(session: Session) -> ContractsPage:
        product = find_product(session, req.rest or None)
        return contracts_page(session, product=product, now=now)

    page = await req.deps.read(load)
    await req.reply(f"{page.product}: {page.total} active contract(s)", contracts_blocks(page))
