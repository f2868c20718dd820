"""GET /metrics: the Prometheus text of core.reports.metrics, over aiohttp.

The database is read in a worker thread, so a scrape never holds up the event loop
that acknowledges Slack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import Engine

from core.reports.metrics import render_metrics


class HasEngine(Protocol):
    @property
    def engine(self) -> Engine: ...


def add_metrics_route(app: web.Application, services: HasEngine) -> None:
    app.router.add_get("/metrics", _handler(services))


def _handler(services: HasEngine) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def metrics(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(render_metrics, services.engine)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics
