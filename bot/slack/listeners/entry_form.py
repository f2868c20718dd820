"""Opening the enter-usage modal: open at once with the trigger_id, fill in after.

A trigger_id expires three seconds after the click, so the modal is opened before
any database work and updated (views.update) once the contracts are loaded.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack.deps import SlackDeps
from bot.slack.views.entry import entry_view, loading_view, message_view
from core.errors import MeterbotError
from core.usage.manual_entry import FormContract

TITLE = "Enter usage"


async def open_entry_form(
    client: AsyncWebClient,
    deps: SlackDeps,
    *,
    trigger_id: str,
    load: Callable[[Session], list[FormContract]],
    channel: str = "",
) -> None:
    opened = await client.views_open(trigger_id=trigger_id, view=loading_view(TITLE))
    view_id = opened["view"]["id"]
    try:
        forms = await deps.read(load)
    except MeterbotError as exc:
        # The modal is already open: the reason belongs in it, not in a separate message.
        await client.views_update(view_id=view_id, view=message_view(TITLE, f"⚠️ {exc}"))
        return
    await client.views_update(view_id=view_id, view=entry_view(forms, channel=channel))
