"""`meterbot sync-agreements`: one pass over AWS Marketplace agreements, then exit."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.app import Services
from core.agreements import AgreementClient, sync_agreements
from core.notifier import Message


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "sync-agreements",
        help="read AWS Marketplace agreements into customers and contracts",
        description="Read the purchase agreements updated since the last pass (as "
        "proposer) with their terms and licences; each becomes or updates a customer "
        "and its contract. Exit 3 when some could not be applied.",
    )
    parser.add_argument("--full", action="store_true", help="read every agreement again")
    parser.add_argument("--quiet", action="store_true", help="do not post to Slack")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    client = AgreementClient(services.agreements)
    report = sync_agreements(services.engine, client, now=datetime.now(UTC), full=args.full)
    print(report.as_text())
    if report.changed and not args.quiet:
        asyncio.run(_post(services, report.message()))
    return 3 if report.problems else 0


async def _post(services: Services, message: Message) -> None:
    """The scheduled job's notice, when Slack is configured (imported late: slow)."""
    settings = services.settings
    if settings.slack_bot_token is None or not settings.channel:
        return
    import aiohttp

    from bot.notifier import SlackNotifier
    from bot.slack.client import TIMEOUT_SECONDS, build_web_client

    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = build_web_client(settings, session=session)
        await SlackNotifier(client, channel=settings.channel).send(message)
