"""`POST /marketplace/register`: the SaaS fulfillment URL AWS sends a new buyer to.

A thin entry point: read the form's `x-amzn-marketplace-token`, register through
core.agreements.registration (in a thread: boto3 and the database block), post
"New subscriber" to the channel, and send the buyer on to
METERBOT_REGISTRATION_REDIRECT (or a bare confirmation page). A refused token gets a
page saying what to do, with nothing changed.
"""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import UTC, datetime
from urllib.parse import urlencode

from aiohttp import web

from bot.app import Services
from core.agreements.client import AgreementClient
from core.agreements.registration import Registration, register
from core.agreements.resolve import RegistrationRefused, resolve_customer
from core.errors import ExternalServiceError
from core.notifier import Notifier

log = logging.getLogger(__name__)

SERVICES = web.AppKey("register_services", Services)
NOTIFIER = web.AppKey("register_notifier", Notifier)
TOKEN_FIELD = "x-amzn-marketplace-token"
UNREACHABLE = "AWS Marketplace could not be reached just now. Please try the link again."


def add_registration_route(app: web.Application, services: Services) -> None:
    app[SERVICES] = services
    app.router.add_post("/marketplace/register", marketplace_register)


async def marketplace_register(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await request.post()
    token = form.get(TOKEN_FIELD)
    try:
        done = await asyncio.to_thread(_register, services, str(token or ""))
    except RegistrationRefused as exc:
        return page("Registration not completed", str(exc), status=400)
    except ExternalServiceError as exc:
        log.warning("registration: %s", exc)
        return page("Registration not completed", UNREACHABLE, status=503)
    notifier = request.app.get(NOTIFIER)
    if notifier is not None:
        await notifier.send(done.message())
    redirect = services.settings.registration_redirect
    if redirect:
        query = urlencode({"customer": done.customer})
        raise web.HTTPSeeOther(f"{redirect}{'&' if '?' in redirect else '?'}{query}")
    return page("You are registered", f"Welcome, {done.customer}. Your subscription is active.")


def _register(services: Services, token: str) -> Registration:
    return register(
        services.engine,
        token=token,
        resolve=lambda t: resolve_customer(services.registration, t),
        agreements=AgreementClient(services.agreements),
        now=datetime.now(UTC),
    )


def page(title: str, text: str, *, status: int = 200) -> web.Response:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html")
