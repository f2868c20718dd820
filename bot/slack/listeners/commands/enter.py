"""/meter enter [customer]: the enter-usage modal for one customer (admins only)."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.listeners.entry_form import open_entry_form
from core.access import ENTER_USAGE
from core.customers.lookup import find_customer
from core.usage.manual_entry import FormContract, form_for_customer

from . import contracts
from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    req.deps.services.admins.require(req.user_id, ENTER_USAGE, subject=req.rest)
    if not req.rest:
        # No customer named: the contracts list has the picker for one or several.
        await contracts.run(req)
        return
    now = req.deps.now()

    def load(session: Session) -> list[FormContract]:
        customer = find_customer(session, req.rest)
        return [form_for_customer(session, customer=customer, now=now)]

    await open_entry_form(
        req.client, req.deps, trigger_id=req.trigger_id, load=load, channel=req.channel_id
    )
