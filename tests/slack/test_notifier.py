"""SlackNotifier: a core Message posted as Block Kit, its files uploaded in the thread."""

from __future__ import annotations

import json
import logging

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier import SlackNotifier
from core.errors import ExternalServiceError
from core.notifier import RETRY_ACTION, Action, Attachment, Message, Severity
from tests.fakes.slack_api import SlackApiStandIn

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
MESSAGE = Message(
    title="Marketplace submission",
    summary="sent 3 records: 2 accepted, 1 failed",
    severity=Severity.ERROR,
    facts=[("accepted", "2"), ("failed", "1")],
    lines=["#7 Initech api_calls 2026-11-22 10:00Z 10: failed (throttled)"],
    actions=[Action("Retry 1 record", RETRY_ACTION, "7", style="danger", admin_only=True)],
    attachments=[Attachment("usage.png", PNG, "Usage")],
)


def _client(slack: SlackApiStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


async def test_message_is_posted_with_blocks_and_its_chart_in_the_thread(
    slack: SlackApiStandIn,
) -> None:
    await SlackNotifier(_client(slack), channel="CNOTIFY").send(MESSAGE)
    [post] = slack.calls_to("chat.postMessage")
    assert post.body["channel"] == "CNOTIFY"
    assert post.body["text"] == "Marketplace submission: sent 3 records: 2 accepted, 1 failed"
    blocks = post.body["blocks"]
    assert blocks[0]["type"] == "header" and "❌" in blocks[0]["text"]["text"]
    button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"])
    assert (button["action_id"], button["value"], button["style"]) == (RETRY_ACTION, "7", "danger")
    assert "admins only" in json.dumps(blocks)
    [complete] = slack.calls_to("files.completeUploadExternal")
    assert complete.body["thread_ts"] and complete.body["channel_id"] == "CNOTIFY"
    assert slack.calls_to("upload")[0].data == PNG


async def test_channel_override_and_missing_channel(
    slack: SlackApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    await SlackNotifier(_client(slack), channel="CDEFAULT").send(MESSAGE, channel="CASKED")
    assert slack.calls_to("chat.postMessage")[0].body["channel"] == "CASKED"
    with caplog.at_level(logging.WARNING):
        await SlackNotifier(_client(slack), channel=None).send(MESSAGE)
    assert "METERBOT_CHANNEL is not set" in caplog.text
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_slack_refusal_is_a_domain_error(slack: SlackApiStandIn) -> None:
    client = AsyncWebClient(token="revoked", base_url=slack.api_url)
    with pytest.raises(ExternalServiceError, match="not_authed"):
        await SlackNotifier(client, channel="C1").send(Message("t", "s"))
