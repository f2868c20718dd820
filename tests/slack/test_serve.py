"""`meterbot serve` refuses to start without Slack credentials, in one line; secrets never
appear in a log line or a message to Slack."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import Services
from bot.cli import main
from bot.server import SCHEDULER, build_web_app
from core.marketplace.records import DryRunClient
from core.models.ops_jobs import JobRun
from core.settings import load_settings
from tests.fakes.marketplace import MarketplaceStandIn
from tests.fakes.slack_api import SlackApiStandIn
from tests.scheduler.conftest import ALL_OFF
from tests.slack.conftest import Bot, services_for
from tests.slack.helpers import block_id, open_form_for, reply_containing, view_update_for
from tests.slack.signed import CHANNEL, SIGNING_SECRET, SlackSays, quantity_values
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


async def test_serve_runs_the_scheduled_jobs_in_its_loop(
    engine: Engine, slack: SlackApiStandIn, tmp_path: Path
) -> None:
    """The app `meterbot serve` runs: its ingest job runs, posts and records its run."""
    usage = tmp_path / "usage"
    usage.mkdir()
    (usage / "2026-11-22.jsonl").write_text("{not json\n")
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "METERBOT_CHANNEL": CHANNEL,
            "METERBOT_USAGE_URL": str(usage),
            # Only the ingest job: the others (a month-close catch-up) would post too.
            **ALL_OFF,
            "METERBOT_SCHEDULE_INGEST": "* * * * *",
        }
    )
    services = Services(settings)
    vars(services)["engine"] = engine  # the test's database, schema already built
    app = build_web_app(services, scheduler=True)
    async with TestServer(app, host="127.0.0.1"):
        app[SCHEDULER].modify_job("ingest", next_run_time=datetime.now(UTC))
        [post] = await slack.wait_for("chat.postMessage", timeout=30)
        assert post.body["channel"] == CHANNEL
        assert post.body["text"].startswith("Usage ingestion: 1 objects, 0 records")
        assert await _ingest_runs(engine, until="ok") == ["ok"]  # recorded as it finished

    without = build_web_app(services, scheduler=False)
    async with TestServer(without, host="127.0.0.1"):
        assert SCHEDULER not in without


async def _ingest_runs(engine: Engine, *, until: str, timeout: float = 10.0) -> list[str]:
    """The ingest job's recorded run statuses once the last one is `until` (or the timeout)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with Session(engine) as session:
            runs = session.exec(select(JobRun).where(JobRun.job == "ingest")).all()
        statuses = [run.status for run in runs]
        if statuses[-1:] == [until] or asyncio.get_running_loop().time() > deadline:
            return statuses
        await asyncio.sleep(0.05)
