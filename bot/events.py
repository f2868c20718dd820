"""The lifecycle-events consumer's place in a running process (`serve` and `worker`).

With METERBOT_EVENTS_QUEUE_URL set, a task long-polls the queue for the process's
lifetime and is cancelled cleanly when the process stops; without it nothing runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from bot.app import Services
from core.agreements.client import AgreementClient
from core.agreements.events import LifecycleEvent
from core.agreements.lifecycle import EventOutcome, handle_event
from core.agreements.queue import EventQueue, consume
from core.marketplace.records import Sender
from core.notifier import Notifier

log = logging.getLogger(__name__)


def event_handler(services: Services, sender: Sender) -> Callable[[LifecycleEvent], EventOutcome]:
    agreements = AgreementClient(services.agreements)

    def handle(event: LifecycleEvent) -> EventOutcome:
        return handle_event(
            services.engine, event, agreements=agreements, sender=sender, now=datetime.now(UTC)
        )

    return handle


@contextlib.asynccontextmanager
async def events_consumer(services: Services, notifier: Notifier) -> AsyncIterator[None]:
    url = services.settings.events_queue_url
    if not url:
        yield
        return
    # The process's one sender, so the final flush shares the scheduler's rate limiter.
    sender = await asyncio.to_thread(lambda: services.sender)
    queue = EventQueue(await asyncio.to_thread(lambda: services.sqs), url)
    task = asyncio.create_task(consume(queue, event_handler(services, sender), notifier))
    log.info("consuming Marketplace lifecycle events from the events queue")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
