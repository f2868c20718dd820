"""Socket Mode installs may have no signing secret: then /slack/events takes no HTTP
requests at all (nothing could verify them), while /healthz still answers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine

from bot.app import Services
from bot.server import build_web_app
from core.settings import load_settings
from tests.fakes.slack_api import TEAM_ID, SlackApiStandIn
from tests.slack.signed import ADMIN, CHANNEL
from tests.slack.world import seed


@pytest.fixture
async def socket_http(engine: Engine, slack: SlackApiStandIn) -> AsyncIterator[TestClient]:
    seed(engine, now=datetime.now(UTC))
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_APP_TOKEN": "xapp-test-token",
            "SLACK_API_URL": slack.api_url,
            "METERBOT_ADMINS": ADMIN,
            "METERBOT_CHANNEL": CHANNEL,
            "METERBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        }
    )
    services = Services(settings)
    vars(services)["engine"] = engine
    http = TestClient(TestServer(build_web_app(services, scheduler=False), host="127.0.0.1"))
    await http.start_server()
    try:
        yield http
    finally:
        await http.close()


async def test_without_a_signing_secret_http_events_are_refused(
    socket_http: TestClient, slack: SlackApiStandIn
) -> None:
    body = urlencode(
        {
            "command": "/meter",
            "text": "enter acme",
            "user_id": ADMIN,
            "channel_id": CHANNEL,
            "team_id": TEAM_ID,
            "trigger_id": "trigger.1",
            "response_url": slack.response_url(),
        }
    )
    stamp = str(int(time.time()))
    digest = hmac.new(b"", f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    answer = await socket_http.post(
        "/slack/events",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}",  # HMAC with an empty key
        },
    )
    assert answer.status in (401, 404)
    await asyncio.sleep(0.2)  # anything the request set off would have reached Slack by now
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []
    assert (await socket_http.get("/healthz")).status == 200
