"""The enter-usage form was submitted: errors next to their fields, or the confirm view.

Slack wants the answer (errors, or the view to push) in the acknowledgement itself, so
the checks and estimates run here, in a worker thread, inside a time budget: if the
estimates are slow the confirm view still comes, marked "estimate n/a".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack import ids
from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import refusal
from bot.slack.views.entry import confirm_view
from core.access import SEND_USAGE
from core.billing.estimates import EntryPreview, preview_entries
from core.errors import NotAllowed
from core.usage.manual_entry import Entry, Key, check_entries

log = logging.getLogger(__name__)
ESTIMATE_BUDGET_SECONDS = 1.5


async def usage_entered(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    typed = typed_quantities(view["state"]["values"])
    try:
        deps.services.admins.require(user, SEND_USAGE, subject="enter-usage form")
    except NotAllowed as error:
        text = await refusal(deps, error, before_ack=True)
        await ack(response_action="errors", errors=_on_first(typed, text))
        return
    now = deps.now()
    entries, errors = await deps.read(
        lambda s: check_entries(s, typed=typed, now=now), before_ack=True
    )
    if errors:
        await ack(response_action="errors", errors={_block(k): m for k, m in errors.items()})
        return
    if not entries:
        await ack(response_action="errors", errors=_on_first(typed, "Enter at least one quantity."))
        return
    rows = await _confirm_rows(deps, entries)
    await ack(response_action="push", view=confirm_view(rows, entries))


def typed_quantities(values: dict[str, Any]) -> dict[Key, str | None]:
    typed: dict[Key, str | None] = {}
    for block_id, elements in values.items():
        key = ids.parse_quantity_block_id(block_id)
        if key is not None:
            typed[key] = (elements.get(ids.QUANTITY_ACTION) or {}).get("value")
    return typed


def _block(key: Key) -> str:
    return ids.quantity_block_id(*key)


def _on_first(typed: dict[Key, str | None], message: str) -> dict[str, str]:
    return {_block(next(iter(typed))): message} if typed else {}


async def _confirm_rows(deps: SlackDeps, entries: list[Entry]) -> list[EntryPreview]:
    now = deps.now()
    priced = deps.read(
        lambda s: preview_entries(s, entries, now=now, estimate=True), before_ack=True
    )
    try:
        return await asyncio.wait_for(priced, ESTIMATE_BUDGET_SECONDS)
    except TimeoutError:
        log.warning(
            "estimates took over %.1f s; confirm view shown without", ESTIMATE_BUDGET_SECONDS
        )
        return await deps.read(
            lambda s: preview_entries(s, entries, now=now, estimate=False), before_ack=True
        )
