"""A pass run from the command line posts what its scheduled job posts, to the channel.

The CLI runs in a worker thread (it has an event loop of its own) while the Slack Web
API stand-in answers on the test's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from core.db import open_database
from core.periods import hour_floor
from tests.fakes.marketplace import MarketplaceStandIn
from tests.fakes.salesforce import FakeSalesforce, SalesforceServer
from tests.fakes.slack_api import SlackApiStandIn
from tests.ingest.conftest import make_catalog
from tests.marketplace.conftest import build_world, subscribe_world
from tests.salesforce.conftest import account

GOOD = '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 3}\n'  # noqa: E501


@pytest.fixture
async def slack() -> AsyncIterator[SlackApiStandIn]:
    async with SlackApiStandIn() as stand_in:
        yield stand_in
        assert not stand_in.errors, f"payloads Slack would refuse: {stand_in.errors}"


@pytest.fixture
def usage_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with customers and a folder holding one good line and one malformed."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_database(url)
    make_catalog(engine, ["acct-0001"])
    engine.dispose()
    folder = tmp_path / "usage"
    folder.mkdir()
    (folder / "2026-11-22.jsonl").write_text(GOOD + "{not json\n")
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    monkeypatch.setenv("METERBOT_USAGE_URL", str(folder))
    return folder


@pytest.fixture
def salesforce(tmp_path: Path) -> Iterator[FakeSalesforce]:
    """The local HTTPS Salesforce stand-in."""
    with SalesforceServer(tmp_path) as fake:
        yield fake


def _slack_env(monkeypatch: pytest.MonkeyPatch, slack: SlackApiStandIn) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-token")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("METERBOT_CHANNEL", "C0OPS")


async def _meterbot(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_ingest_posts_its_quarantine_notice_through_a_429(
    usage_folder: Path,
    slack: SlackApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _slack_env(monkeypatch, slack)
    slack.fail_next(1, status=429, method="chat.postMessage")
    code = await _meterbot("ingest", "--max-age-days", "3650")
    out = capsys.readouterr().out
    assert code == 3
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 2  # refused once with 429, then posted
    post = posts[-1].body
    assert post["channel"] == "C0OPS"
    assert post["text"].startswith("Usage ingestion: 1 objects, 1 records")
    assert "quarantined, malformed: 1" in str(post["blocks"])
    assert "quarantined, malformed: 1" in out  # the same report on the terminal
    assert "xoxb-cli-token" not in out


async def test_quiet_leaves_slack_out(
    usage_folder: Path,
    slack: SlackApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _slack_env(monkeypatch, slack)
    assert await _meterbot("ingest", "--max-age-days", "3650", "--quiet") == 3
    assert "quarantined, malformed: 1" in capsys.readouterr().out
    assert slack.calls == []


async def test_a_clean_pass_posts_nothing_like_its_job(
    usage_folder: Path, slack: SlackApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An hour Marketplace still takes: older usage is late usage, which is said.
    recent = hour_floor(datetime.now(UTC)) - timedelta(hours=1)
    line = GOOD.replace("2026-11-22T01:00:00Z", f"{recent:%Y-%m-%dT%H:%M:%SZ}")
    (usage_folder / "2026-11-22.jsonl").write_text(line)
    _slack_env(monkeypatch, slack)
    assert await _meterbot("ingest", "--max-age-days", "3650") == 0
    assert slack.calls_to("chat.postMessage") == []


async def test_submit_posts_what_was_sent(
    tmp_path: Path,
    slack: SlackApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_database(url)
    world = build_world(engine)
    hour = hour_floor(datetime.now(UTC)) - timedelta(hours=2)
    world.usage(world.alpha, world.storage, hour, "2500")
    engine.dispose()
    _slack_env(monkeypatch, slack)
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    monkeypatch.setenv("METERBOT_MARKETPLACE", "live")
    with MarketplaceStandIn() as marketplace:
        marketplace.clock = lambda: datetime.now(UTC)
        subscribe_world(marketplace)
        for name, value in marketplace.env().items():
            monkeypatch.setenv(name, value)
        assert await _meterbot("submit") == 0
    out = capsys.readouterr().out
    [post] = slack.calls_to("chat.postMessage")
    # How many zero records ride along depends on the minute (an hour settles 5 minutes
    # after it ends); the post says what the terminal says, and the usage is in it.
    summary = out.splitlines()[0]
    sent = out.count("): accepted")
    assert summary == f"Marketplace submission: sent {sent} records: {sent} accepted"
    assert post.body["text"] == summary
    assert f"Alpha storage {hour:%Y-%m-%d %H:%MZ} 2.5 TB (customer_identifier): accepted" in out


async def test_a_channel_that_cannot_be_reached_is_one_line(
    usage_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-token")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("METERBOT_CHANNEL", "C0OPS")
    assert await _meterbot("ingest", "--max-age-days", "3650") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not reach Slack at SLACK_API_URL" in err
    assert "xoxb" not in err and "Traceback" not in err


async def test_sync_customers_posts_when_customers_changed(
    tmp_path: Path,
    slack: SlackApiStandIn,
    salesforce: FakeSalesforce,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    salesforce.accounts = [account(1), account(2)]
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", salesforce.base_url)
    monkeypatch.setenv("SALESFORCE_SESSION_ID", salesforce.new_session())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce.ca_path)
    _slack_env(monkeypatch, slack)
    assert await _meterbot("sync-customers") == 0
    [post] = slack.calls_to("chat.postMessage")
    assert post.body["text"] == "Salesforce sync: 2 accounts, 0 problems"
    assert await _meterbot("sync-customers") == 0  # nothing changed: the job stays quiet too
    assert len(slack.calls_to("chat.postMessage")) == 1
