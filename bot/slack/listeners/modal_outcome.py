"""How a modal that sends (usage, a shared file, a refund) ends when it does not end well.

A non-admin's submission is refused in the acknowledgement itself: the modal turns
into the refusal, audited by `bot.slack.errors.refusal`. After the ack, a service's
refusal (a MeterbotError) takes the modal's place; any other error may have left some
records sent, so the modal says so before the error goes on to be reported.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.errors import refusal
from bot.slack.views.entry import message_view
from core.access import Action
from core.errors import MeterbotError, NotAllowed

log = logging.getLogger(__name__)
T = TypeVar("T")
UNKNOWN = (
    "The send did not finish cleanly, so some records may have gone out. Check "
    "`/meter status` (the ledger keeps every record) before entering this usage again."
)


async def refused(
    ack: AsyncAck, deps: SlackDeps, user: str, action: Action, *, subject: str, title: str
) -> bool:
    """Whether `user` is refused `action`; if so the modal, titled `title`, says why."""
    try:
        deps.services.admins.require(user, action, subject=subject)
    except NotAllowed as error:
        text = await refusal(deps, error, before_ack=True)
        await ack(response_action="update", view=message_view(title, text))
        return True
    return False


@dataclass(frozen=True)
class OpenModal:
    """A modal acknowledged with a progress view ("Sending…"), updated by the work after."""

    client: AsyncWebClient
    view_id: str

    async def show(self, view: dict[str, Any]) -> None:
        await self.client.views_update(view_id=self.view_id, view=view)

    async def outcome(
        self,
        work: Awaitable[T],
        *,
        what: str,
        title: str = "Not sent",
        unknown: str | None = UNKNOWN,
    ) -> T | None:
        """`work`'s result, or None when a service refused it (`what` refused, logged) and
        the modal, titled `title`, says why. On any other error it shows `unknown` first
        (None: it is left as it is)."""
        try:
            return await work
        except MeterbotError as exc:
            log.info("%s refused: %s", what, exc)
            await self.show(message_view(title, f"⚠️ {exc}"))
            return None
        except Exception:
            if unknown is not None:
                await self.show(message_view("Send interrupted", unknown))
            raise
