"""Sharing a file with the bot as Slack does it: the file held by the Web API stand-in,
then a signed `file_shared` event."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.periods import month_floor
from tests.fakes.slack_api import Call, SharedFile
from tests.slack.conftest import Bot
from tests.slack.signed import ADMIN

DM = "DADMIN001"  # the admin's direct message with the bot
HEADER = "timestamp,customer,dimension,quantity\n"


async def share(
    bot: Bot, name: str, data: bytes, *, user: str = ADMIN, channel: str = DM
) -> SharedFile:
    shared = bot.slack.share_file(name, data, channel=channel, user=user)
    event = {
        "type": "file_shared",
        "file_id": shared.id,
        "user_id": user,
        "file": {"id": shared.id},
        "channel_id": channel,
        "event_ts": str(time.time()),
    }
    response = await bot.says.event(event)
    assert response.status == 200
    return shared


async def thread_reply(bot: Bot, shared: SharedFile, count: int = 1, timeout: float = 20) -> Call:
    """The bot's `count`-th message in the file's thread."""
    for _ in range(int(timeout * 100)):
        replies = [
            c
            for c in bot.slack.calls_to("chat.postMessage")
            if c.body.get("thread_ts") == shared.ts and c.body.get("channel") == shared.channel
        ]
        if len(replies) >= count:
            return replies[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no reply #{count} in the thread of {shared.name}")


def text_of(call: Call) -> str:
    return call.body.get("text", "") + json.dumps(call.body.get("blocks", ""), ensure_ascii=False)


def button_value(call: Call, action_id: str) -> str:
    blocks: Any = call.body["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def csv_lines(rows: list[tuple[datetime, str, str, str]], *, header: str = HEADER) -> bytes:
    text = header + "".join(f"{t:%Y-%m-%dT%H:%M:%SZ},{c},{d},{q}\n" for t, c, d, q in rows)
    return text.encode()


def usage_rows(now: datetime, count: int) -> list[tuple[datetime, str, str, str]]:
    """`count` good lines over the last five hours: two customers, both dimensions. None
    falls before the month began: from 05:45 on the 1st the month before is closed to
    Marketplace (its 06:00 cut-off less the send margin)."""
    rows = []
    for n in range(count):
        moment = max(now - timedelta(hours=1 + n % 5, minutes=n % 50), month_floor(now))
        customer = ("usage-0", "usage-1")[n % 2]
        if n % 3:
            rows.append((moment, customer, "api_calls", str(1 + n % 7)))
        else:
            rows.append((moment, customer, "storage_tb", "0.125"))
    return rows


def expected_totals(
    rows: list[tuple[datetime, str, str, str]],
) -> dict[tuple[str, str, datetime], Decimal]:
    """(CustomerIdentifier, dimension, hour) -> what Marketplace should bill."""
    ids = {"usage-0": "cust-acme", "usage-1": "cust-globex"}
    totals: dict[tuple[str, str, datetime], Decimal] = {}
    for moment, customer, dimension, quantity in rows:
        key = (ids[customer], dimension, moment.replace(minute=0, second=0, microsecond=0))
        totals[key] = totals.get(key, Decimal(0)) + Decimal(quantity)
    return totals
