"""`meterbot serve`: the Slack app over HTTP (or Socket Mode) with the scheduler.

    meterbot serve [--host H] [--port P] [--no-scheduler] [--socket]

HTTP needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; Socket Mode (for installs
behind a firewall) needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN and still serves
/healthz on the port.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core.errors import ConfigError
from core.settings import Settings

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def register(verbs: Any) -> None:
    parser = verbs.add_parser("serve", help="run the Slack app (and the scheduler)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    parser.add_argument("--no-scheduler", action="store_true", help="leave the scheduler out")
    parser.add_argument("--socket", action="store_true", help="Socket Mode (SLACK_APP_TOKEN)")
    # A long-running process: its log is the operator's record, tracebacks and all.
    parser.set_defaults(run=run, logs_tracebacks=True)


def run(args: argparse.Namespace, services: Services) -> int:
    check_slack_settings(services.settings, socket=args.socket)
    # Imported here: the Slack stack (and matplotlib) would slow every other verb's start.
    from bot.server import build_web_app

    app = build_web_app(services, scheduler=not args.no_scheduler)
    if args.socket:
        app.cleanup_ctx.append(_socket_mode(services.settings))
    mode = "Socket Mode" if args.socket else f"http://{args.host}:{args.port}/slack/events"
    log.info("meterbot serving Slack (%s)", mode)
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def check_slack_settings(settings: Settings, *, socket: bool) -> None:
    """One clear line naming whatever is missing; the values themselves are never shown."""
    needed = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket else "SLACK_SIGNING_SECRET"]
    values = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_APP_TOKEN": settings.slack_app_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
    }
    missing = [name for name in needed if not values[name]]
    if missing:
        hint = " (Socket Mode needs an app-level token, xapp-...)" if socket else ""
        raise ConfigError(f"{' and '.join(missing)} not set; cannot serve Slack{hint}")


def _socket_mode(settings: Settings) -> Any:
    async def context(app: web.Application) -> AsyncIterator[None]:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        from bot.server import BOLT

        assert settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(app[BOLT], settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        yield
        await handler.close_async()

    return context
