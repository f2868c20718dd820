"""`meterbot worker`: the scheduler alone (no HTTP), until SIGTERM or SIGINT.

For split deployments: `meterbot serve --no-scheduler` answers Slack, workers run the
jobs. Several workers on one PostgreSQL database run each job tick once between them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.events import events_consumer
from core.notifier import LogNotifier, Notifier
from scheduler.runner import running_scheduler

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "worker",
        help="run the scheduled jobs only (no HTTP) until stopped",
        description="Ingestion, Salesforce sync, submission, alerts, digests and invoices on "
        "their schedules (docs/operations.md), and the lifecycle events queue when "
        "METERBOT_EVENTS_QUEUE_URL is set. Stops cleanly on SIGTERM or SIGINT.",
    )
    # A long-running process: its log is the operator's record, tracebacks and all.
    parser.set_defaults(run=run, logs_tracebacks=True)


def run(args: argparse.Namespace, services: Services) -> int:
    _ = services.engine  # open and migrate before the first tick, failing fast if unreachable
    asyncio.run(_work(services))
    return 0


async def _work(services: Services) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        notifier = _notifier(services, session)
        async with running_scheduler(services, notifier), events_consumer(services, notifier):
            log.info("worker running; SIGTERM or SIGINT stops it")
            await stop.wait()
    log.info("worker stopped")


def _notifier(services: Services, session: aiohttp.ClientSession) -> Notifier:
    """Slack when a bot token is set, otherwise the log."""
    if services.settings.slack_bot_token is None:
        log.warning("SLACK_BOT_TOKEN is not set; notifications go to the log")
        return LogNotifier()
    from bot.notifier import SlackNotifier
    from bot.slack.client import build_web_client

    client = build_web_client(services.settings, session=session)
    return SlackNotifier(client, channel=services.settings.channel)
