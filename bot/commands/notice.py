"""A CLI pass's notice to the channel, the same its scheduled job posts."""

from __future__ import annotations

from bot.app import Services
from core.notifier import Message


async def post_notice(services: Services, message: Message) -> None:
    """Post `message` to METERBOT_CHANNEL when Slack is configured (imported late: slow)."""
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
