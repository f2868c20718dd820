"""The end of every pass verb (ingest, submit, sync-customers): print, post, exit code.

A pass run from the command line says what its scheduled job says: the summary on
stdout, the same notices in METERBOT_CHANNEL when Slack is configured (`--quiet`
leaves Slack out), and, when something it did needs a person, exit 3 with one line
on stderr saying how many and where to look.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import ExternalServiceError
from core.notifier import Message
from core.settings import Settings

log = logging.getLogger(__name__)

NEEDS_ATTENTION = 3  # done, with records or objects that need a person (README, Exit codes)
# Per Slack call, 429 waits included: Retry-After is honoured up to three times.
POST_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class PassResult:
    """What a pass printed, what its scheduled job would post, and what needs a person."""

    summary: str
    notices: Sequence[Message] = field(default_factory=list)
    attention: str | None = None  # "2 objects failed (meterbot problems)"


def add_pass_options(parser: Any) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only; post nothing to METERBOT_CHANNEL"
    )


def finish(args: argparse.Namespace, settings: Settings, result: PassResult) -> int:
    print(result.summary)
    if not args.quiet:
        post_notices(settings, result.notices)
    if result.attention:
        print(f"meterbot: {result.attention}", file=sys.stderr)
        return NEEDS_ATTENTION
    return 0


def post_notices(settings: Settings, messages: Sequence[Message]) -> None:
    """Post to METERBOT_CHANNEL when SLACK_BOT_TOKEN and the channel are both set."""
    if not messages:
        return
    if settings.slack_bot_token is None or not settings.channel:
        if settings.slack_bot_token is not None or settings.channel:
            missing = "METERBOT_CHANNEL" if settings.slack_bot_token else "SLACK_BOT_TOKEN"
            log.warning("%s is not set; the pass's notices were not posted to Slack", missing)
        return
    import asyncio  # here, as the Slack stack below: a pass that posts nothing needs neither

    asyncio.run(_post(settings, messages))


async def _post(settings: Settings, messages: Sequence[Message]) -> None:
    # Imported here: the Slack stack would slow every verb that posts nothing.
    import aiohttp

    from bot.notifier import SlackNotifier
    from bot.slack.client import build_web_client

    timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            client = build_web_client(settings, session=session)
            notifier = SlackNotifier(client, channel=settings.channel)
            for message in messages:
                await notifier.send(message)
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = type(exc).__name__
        raise ExternalServiceError(
            f"could not reach Slack at SLACK_API_URL ({reason}); the summary above was not "
            "posted (--quiet leaves Slack out)"
        ) from exc
