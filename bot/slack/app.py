"""build_bolt_app: the Bolt AsyncApp with every listener, the error handler and middleware.

Bolt's request verification stays on (bad or stale signatures get 401). Listeners find
their dependencies in the request context (bot.slack.deps), put there by a middleware,
so each listener file stays a small function with no globals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Services
from bot.slack import listeners
from bot.slack.client import build_web_client
from bot.slack.deps import CONTEXT_KEY, SlackDeps
from bot.slack.errors import handle_error
from core.notifier import Notifier

log = logging.getLogger("meterbot.slack")
RETRY_HEADER = "x-slack-retry-num"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def build_bolt_app(
    services: Services,
    *,
    notifier: Notifier,
    client: AsyncWebClient | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> AsyncApp:
    settings = services.settings
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client or build_web_client(settings),
        signing_secret=secret.get_secret_value() if secret else "",
        logger=logging.getLogger("meterbot.slack.bolt"),
        raise_error_for_unhandled_request=False,
    )
    deps = SlackDeps(services=services, notifier=notifier, clock=clock)
    app.middleware(_skip_retries)
    app.middleware(_provide(deps))
    app.error(handle_error)
    listeners.register(app)
    return app


Next = Callable[[], Awaitable[BoltResponse]]


async def _skip_retries(req: AsyncBoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
    """Slack retries a request it thinks went unanswered. The first attempt is still running
    (or done), so a retried command, button or submission is acknowledged and dropped: it
    must never send twice. Events (the home tab) are safe to redo and go through."""
    retry = req.headers.get(RETRY_HEADER)
    if retry and req.body.get("type") != "event_callback":
        log.info("ignoring Slack retry #%s (%s)", retry[0], _kind(req.body))
        return BoltResponse(status=200, body="")
    return await next()


def _provide(deps: SlackDeps) -> Callable[..., Awaitable[BoltResponse]]:
    async def provide(context: Any, next: Next) -> BoltResponse:
        context[CONTEXT_KEY] = deps
        return await next()

    return provide


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("command") or body.get("type") or "request")
