"""`meterbot serve` refuses to start without Slack credentials, in one line; secrets never
appear in a log line or a message to Slack."""

from __future__ import annotations

import logging

import pytest

from bot.cli import main
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing
from tests.slack.signed import SIGNING_SECRET


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
