"""The one place Slack listener errors are handled (registered as Bolt's @app.error).

Domain errors (core.errors.MeterbotError) carry a message meant for the user: it is
sent back privately. A refused admin-only attempt (core.errors.NotAllowed, raised by
core.access.Admins) is also audited, here and only here (`refusal`). Anything else is
a bug: logged with its traceback, and the user gets a short apology. Nothing is swallowed silently.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import CONTEXT_KEY, SlackDeps
from core.errors import MeterbotError, NotAllowed

log = logging.getLogger("meterbot.slack")
APOLOGY = "Sorry, something went wrong on meterbot's side; it has been logged. Try again shortly."


@asynccontextmanager
async def reported(
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None = None,
    context: Any = None,
) -> AsyncIterator[None]:
    """Wrap a listener's work after ack() (`bot.slack.acked.after_ack` does for buttons
    and /meter): any error goes through `handle_error` here.

    (Bolt's own error path, taken for an exception after an early ack, can leave Slack's
    HTTP request waiting out the 3-second ack timeout; this keeps every error answered.)
    """
    try:
        yield
    except Exception as exc:
        await handle_error(exc, body, client, respond, context)


async def handle_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    context: Any = None,
) -> None:
    deps = (context or {}).get(CONTEXT_KEY)
    if isinstance(error, NotAllowed) and isinstance(deps, SlackDeps):
        text = f"⚠️ {await refusal(deps, error)}"
    elif isinstance(error, MeterbotError):
        log.info("refused %s: %s", _what(body), error)
        text = f"⚠️ {error}"
    else:
        log.error("unhandled error in %s", _what(body), exc_info=error)
        text = APOLOGY
    await _tell_user(body, client, respond, text)


async def refusal(deps: SlackDeps, error: NotAllowed, *, before_ack: bool = False) -> str:
    """Audit a refused admin-only attempt; return what to tell whoever tried.

    Listeners that answer in the acknowledgement call this themselves (form errors) or
    through `bot.slack.listeners.modal_outcome.refused` (an updated view); every other
    listener reaches it through `reported`.
    """
    await deps.audit_refusal(
        user_id=error.actor, action=error.action, subject=error.subject, before_ack=before_ack
    )
    return str(error)


async def _tell_user(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond | None, text: str
) -> None:
    """Privately to whoever acted: via response_url when there is one, else a DM."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    try:
        if respond is not None and body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
        elif user and body.get("type") != "event_callback":
            await client.chat_postMessage(channel=user, text=text)
    except Exception:  # the user cannot be told; the log line above still says what failed
        log.warning("could not tell %s about an error", user, exc_info=True)


def _what(body: dict[str, Any]) -> str:
    if body.get("command"):
        return f"{body['command']} {body.get('text', '')[:40]!r}"
    return str(body.get("type") or body.get("event", {}).get("type") or "request")
