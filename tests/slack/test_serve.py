"""`meterbot serve` refuses to start without Slack credentials, in one line; secrets never
appear in a log line or a message to Slack."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine

from bot.cli import main
from bot.server import SCHEDULER, build_web_app
from core.marketplace.records import DryRunClient
from tests.fakes.marketplace import MarketplaceStandIn
from tests.fakes.slack_api import SlackApiStandIn
from tests.scheduler.conftest import ALL_OFF
from tests.slack.conftest import Bot, services_for
from tests.slack.helpers import block_id, open_form_for, reply_containing, view_update_for
from tests.slack.signed import SIGNING_SECRET, SlackSays, quantity_values
from tests.slack.world import seed

SUBMIT = "METERBOT_SCHEDULE_SUBMIT"


def test_serve_without_credentials_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["meterbot: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set; cannot serve Slack"]


def test_socket_mode_needs_the_app_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    assert main(["serve", "--socket"]) == 1
    err = capsys.readouterr().err
    assert "SLACK_APP_TOKEN not set" in err and "xoxb-secret-value" not in err


async def test_no_secret_in_logs_or_slack(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        await bot.says.command("status")
        await reply_containing(bot.slack, "meterbot status")
        await bot.says.command("enter acme")
        await bot.slack.wait_for("views.update")
    token = "xoxb-test-token"
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert token not in logged and SIGNING_SECRET not in logged
    sent = " ".join(str(call.body) for call in bot.slack.calls)
    assert token not in sent and SIGNING_SECRET not in sent


async def test_serve_gives_the_scheduler_and_slack_one_sender(
    engine: Engine, slack: SlackApiStandIn, marketplace: MarketplaceStandIn
) -> None:
    """One rate limiter for the account's 10 calls/s: `serve`'s scheduled passes and Slack's
    sends go through the composition root's one sender. The settings say live; the sender
    put in place is a dry run, so nothing may reach Marketplace from either side."""
    world = seed(engine, now=datetime.now(UTC))
    # Only the hourly pass, at :05 (no catch-up), so nothing else runs during the test.
    services = services_for(engine, slack, marketplace, **{**ALL_OFF, SUBMIT: "5 * * * *"})
    services._sender = DryRunClient()
    app = build_web_app(services, scheduler=True)
    http = TestClient(TestServer(app, host="127.0.0.1"))
    await http.start_server()
    try:
        bot = Bot(slack, SlackSays(http, slack), marketplace, world, services, http)
        form = await open_form_for(bot, "acme")
        values = quantity_values({block_id(bot, "Acme Corp", world.storage_id): "2.5"})
        confirm = (await (await bot.says.submit(form, values, view_id="VFORM1")).json())["view"]
        await bot.says.submit(confirm, {}, view_id="VCONFIRM1")
        assert "dry run" in json.dumps(await view_update_for(slack, "VCONFIRM1"))
        (job,) = app[SCHEDULER].get_jobs()
        jobs = job.func.__self__.jobs
        assert jobs.services.sender is services.sender
        await jobs.submit(datetime.now(UTC))
    finally:
        await http.close()
    assert marketplace.calls == 0
