"""Small waits and lookups shared by the Slack tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.slack import ids
from tests.fakes.slack_api import Call, SlackApiStandIn
from tests.slack.conftest import Bot


async def reply_containing(slack: SlackApiStandIn, text: str, timeout: float = 5.0) -> Call:
    """The first response_url reply whose body mentions `text` (case-insensitive)."""
    for _ in range(int(timeout * 100)):
        for call in slack.calls_to("response_url"):
            if text.lower() in json.dumps(call.body, ensure_ascii=False).lower():
                return call
        await asyncio.sleep(0.01)
    seen = [json.dumps(c.body)[:200] for c in slack.calls_to("response_url")]
    raise AssertionError(f"no reply containing {text!r}; replies: {seen}")


async def view_update_for(slack: SlackApiStandIn, view_id: str, timeout: float = 5.0) -> Any:
    for _ in range(int(timeout * 100)):
        for call in reversed(slack.calls_to("views.update")):
            if call.body["view_id"] == view_id:
                return call.body["view"]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no views.update for {view_id}")


async def open_form_for(bot: Bot, customer: str) -> dict[str, Any]:
    """`/meter enter CUSTOMER` as an admin: the enter-usage modal once filled in."""
    await bot.says.command(f"enter {customer}")
    updated = (await bot.slack.wait_for("views.update"))[-1]
    opened = bot.slack.calls_to("views.open")[-1]
    assert opened.body["trigger_id"].startswith("trigger.")
    view = updated.body["view"]
    assert view["callback_id"] == ids.ENTER_USAGE_VIEW
    return dict(view)


def block_id(bot: Bot, customer: str, dimension_id: int) -> str:
    return ids.quantity_block_id(bot.world.customers[customer], dimension_id)
