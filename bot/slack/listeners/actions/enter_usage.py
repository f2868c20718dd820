""" "Enter usage" under the contracts list: the modal for the picked contracts (admins)."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack import ids
from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.listeners.entry_form import open_entry_form
from core.access import ENTER_USAGE
from core.usage.manual_entry import FormContract, form_for_contracts


async def enter_usage(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: Any,
) -> None:
    await ack()
    async with reported(body, client, respond, context):
        await _enter_usage(body, client, respond, deps_of(context))


async def _enter_usage(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: SlackDeps
) -> None:
    deps.services.admins.require(body["user"]["id"], ENTER_USAGE, subject="contracts")
    picked = picked_contracts(body.get("state", {}).get("values", {}))
    if not picked:
        await respond(
            text="Pick one or more contracts first, then press *Enter usage*.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    now = deps.now()

    def load(session: Session) -> list[FormContract]:
        return form_for_contracts(session, contract_ids=picked, now=now)

    channel = (body.get("channel") or {}).get("id", "")
    await open_entry_form(client, deps, trigger_id=body["trigger_id"], load=load, channel=channel)


def picked_contracts(values: dict[str, Any]) -> list[int]:
    """Contract ids chosen in the picker, from the message's state."""
    for block_id, elements in values.items():
        if block_id.startswith(ids.CONTRACT_PICKER_BLOCK):
            chosen = (elements.get(ids.CONTRACT_PICKER) or {}).get("selected_options") or []
            return [int(o["value"]) for o in chosen if str(o.get("value", "")).isdigit()]
    return []
