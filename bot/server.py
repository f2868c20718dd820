"""The HTTP process: Slack at POST /slack/events, GET /healthz, the Marketplace
fulfillment URL at POST /marketplace/register, and the scheduler.

Everything with a lifetime (the Slack client's HTTP session, the Bolt app, the
database engine, the scheduler) is started and stopped in `app.cleanup_ctx`, in
that order, so a failed start-up unwinds what was started before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text

from bot.app import Services
from bot.events import events_consumer
from bot.metrics import add_metrics_route
from bot.notifier import SlackNotifier
from bot.register import NOTIFIER as REGISTER_NOTIFIER
from bot.register import add_registration_route
from bot.slack.app import build_bolt_app
from bot.slack.client import TIMEOUT_SECONDS, build_web_client
from scheduler.runner import running_scheduler

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
BOLT = web.AppKey("bolt", AsyncApp)
NOTIFIER = web.AppKey("notifier", SlackNotifier)
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
HEALTH_TIMEOUT_SECONDS = 5


def build_web_app(services: Services, *, scheduler: bool) -> web.Application:
    app = web.Application()
    app[SERVICES] = services
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_slack)
    if scheduler:
        app.cleanup_ctx.append(_scheduler)
    app.cleanup_ctx.append(_events)
    if services.settings.slack_signing_secret:
        # Without a secret (Socket Mode) nothing could verify a request: no HTTP events.
        app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    add_registration_route(app, services)
    add_metrics_route(app, services)
    return app


async def slack_events(request: web.Request) -> web.Response:
    """Commands, interactivity, options and events: Bolt verifies the signature (401 if bad)."""
    bolt_request = await to_bolt_request(request)
    bolt_response = await request.app[BOLT].async_dispatch(bolt_request)
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        await asyncio.wait_for(asyncio.to_thread(_ping, services), HEALTH_TIMEOUT_SECONDS)
        database = "ok"
    except Exception as exc:  # reported, never raised: a health check answers
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        database = "unreachable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "version": _version(),
    }
    return web.json_response(body, status=200 if database == "ok" else 503)


def _ping(services: Services) -> None:
    with services.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _version() -> str:
    try:
        return version("meterbot")
    except PackageNotFoundError:
        return "unknown"


async def _database(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    await asyncio.to_thread(lambda: services.engine)  # open (and migrate) before serving
    yield
    await asyncio.to_thread(services.close)


async def _slack(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = build_web_client(services.settings, session=session)
        notifier = SlackNotifier(client, channel=services.settings.channel)
        app[NOTIFIER] = notifier
        app[REGISTER_NOTIFIER] = notifier
        app[BOLT] = build_bolt_app(services, notifier=notifier, client=client)
        yield


async def _events(app: web.Application) -> AsyncIterator[None]:
    """Lifecycle events from METERBOT_EVENTS_QUEUE_URL, when set, for the app's lifetime."""
    async with events_consumer(app[SERVICES], app[NOTIFIER]):
        yield


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    """The scheduler runs for the application's lifetime, posting through the notifier;
    it stays reachable as app[SCHEDULER] (to see or move its jobs)."""
    async with running_scheduler(app[SERVICES], app[NOTIFIER]) as scheduler:
        app[SCHEDULER] = scheduler
        yield
