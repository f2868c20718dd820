""" "Enter usage" under the contracts list: the modal for the picked contracts (admins)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.slack import ids
from bot.slack.acked import Interaction, after_ack
from bot.slack.listeners.entry_form import open_entry_form
from core.access import ENTER_USAGE
from core.usage.manual_entry import FormContract, form_for_contracts


@after_ack
async def enter_usage(press: Interaction) -> None:
    press.deps.services.admins.require(press.user, ENTER_USAGE, subject="contracts")
    picked = picked_contracts(press.body.get("state", {}).get("values", {}))
    if not picked:
        await press.respond(
            text="Pick one or more contracts first, then press *Enter usage*.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    now = press.deps.now()

    def load(session: Session) -> list[FormContract]:
        return form_for_contracts(session, contract_ids=picked, now=now)

    await open_entry_form(
        press.client, press.deps, trigger_id=press.trigger_id, load=load, channel=press.channel
    )


def picked_contracts(values: dict[str, Any]) -> list[int]:
    """Contract ids chosen in the picker, from the message's state."""
    for block_id, elements in values.items():
        if block_id.startswith(ids.CONTRACT_PICKER_BLOCK):
            chosen = (elements.get(ids.CONTRACT_PICKER) or {}).get("selected_options") or []
            return [int(o["value"]) for o in chosen if str(o.get("value", "")).isdigit()]
    return []
