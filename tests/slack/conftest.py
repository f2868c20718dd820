"""Fixtures: the real Bolt app served by bot.server on a loopback port, a Slack Web API
stand-in, the Marketplace stand-in and a seeded database (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine

from bot.app import Services
from bot.server import build_web_app
from core.settings import load_settings
from tests.fakes.marketplace import MarketplaceStandIn
from tests.fakes.slack_api import SlackApiStandIn
from tests.slack.signed import ADMIN, CHANNEL, SIGNING_SECRET, SlackSays
from tests.slack.world import PRODUCT_CODE, SUBSCRIBED, World, seed


@dataclass
class Bot:
    slack: SlackApiStandIn
    says: SlackSays
    marketplace: MarketplaceStandIn
    world: World
    services: Services
    http: TestClient


@pytest.fixture
async def slack() -> AsyncIterator[SlackApiStandIn]:
    async with SlackApiStandIn() as stand_in:
        yield stand_in
        assert not stand_in.errors, f"payloads Slack would refuse: {stand_in.errors}"


@pytest.fixture
async def marketplace() -> AsyncIterator[MarketplaceStandIn]:
    async with MarketplaceStandIn() as stand_in:
        stand_in.add_product(PRODUCT_CODE, ["storage_tb", "api_calls"])
        for identifier in SUBSCRIBED:
            stand_in.subscribe(PRODUCT_CODE, identifier)
        yield stand_in


def services_for(
    engine: Engine, slack: SlackApiStandIn, mp: MarketplaceStandIn, **env: str
) -> Services:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "METERBOT_ADMINS": ADMIN,
            "METERBOT_CHANNEL": CHANNEL,
            "METERBOT_MARKETPLACE": "live",
            "METERBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            **env,
        }
    )
    services = Services(settings)
    # The test's database (schema already built) and a boto3 client aimed at the stand-in.
    vars(services)["engine"] = engine
    vars(services)["marketplace"] = mp.boto_client()
    return services


@pytest.fixture
async def bot(
    engine: Engine, slack: SlackApiStandIn, marketplace: MarketplaceStandIn
) -> AsyncIterator[Bot]:
    world = seed(engine, now=datetime.now(UTC))
    services = services_for(engine, slack, marketplace)
    http = TestClient(TestServer(build_web_app(services, scheduler=False), host="127.0.0.1"))
    await http.start_server()
    try:
        yield Bot(slack, SlackSays(http, slack), marketplace, world, services, http)
    finally:
        await http.close()
