"""/meter reconcile through the real Bolt app, and open findings in /meter status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from tests.fakes.cloudtrail import CloudTrailStandIn
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing
from tests.slack.signed import CHANNEL, USER


@pytest.fixture
async def trail(bot: Bot) -> AsyncIterator[CloudTrailStandIn]:
    with CloudTrailStandIn() as stand_in:
        vars(bot.services)["cloudtrail"] = stand_in.boto_client()
        yield stand_in


def another_senders_call(trail: CloudTrailStandIn) -> None:
    hour = datetime.now(UTC).replace(day=1, hour=3, minute=0, second=0, microsecond=0)
    record = {"timestamp": f"{hour:%Y-%m-%dT%H:%M:%SZ}", "customerIdentifier": "someone-else",
              "dimension": "storage_tb", "quantityAsDecimal": "3"}  # fmt: skip
    result = {"usageRecord": record, "meteringRecordId": "mr-x", "status": "Success"}
    trail.add_event("BatchMeterUsage", {"productCode": "p", "usageRecords": [record]},
                    {"results": [result], "unprocessedRecords": []}, username="legacy")  # fmt: skip


async def test_reconcile_posts_to_the_channel_and_status_shows_it_open(bot: Bot, trail) -> None:
    another_senders_call(trail)
    await bot.says.command("reconcile", user=USER)
    await reply_containing(bot.slack, "Reconciling")
    [post] = await bot.slack.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    posted = json.dumps(post.body)
    assert "Reconciliation" in posted and "never sent" in posted and "someone-else" in posted

    await bot.says.command("status", user=USER)
    status = await reply_containing(bot.slack, "meterbot status")
    month = f"{datetime.now(UTC):%Y-%m}"
    assert f"1 difference(s) with AWS open for {month}" in json.dumps(status.body["blocks"])


async def test_a_bad_month_gets_a_private_hint(bot: Bot, trail) -> None:
    await bot.says.command("reconcile 2026-13", user=USER)
    reply = await reply_containing(bot.slack, "not a month")
    assert reply.body["response_type"] == "ephemeral"
    assert trail.calls == []
