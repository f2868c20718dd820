"""End to end: a usage CSV shared with the bot -> preview in its thread -> Review and
send -> Confirm send -> billed by the Marketplace stand-in, once, however often the
file is shared again or the confirm pressed again."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.slack import ids
from bot.slack.views.upload import line_ranges
from core.models import AuditEvent, LedgerStatus, MeteringRecord, UsageUpload
from tests.fakes.slack_api import Call
from tests.slack.conftest import Bot
from tests.slack.signed import ADMIN, CHANNEL
from tests.slack.uploads import (
    HEADER,
    button_value,
    expected_totals,
    share,
    text_of,
    thread_reply,
    usage_rows,
)

BAD_AT = [10, 11, 12, 400, 1000, 2000, 2500, 3000, 3500, 4000, 4500, 4999]  # 0-based data rows


def _bad_lines(now: datetime) -> list[tuple[str, str]]:
    ts = f"{now - timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}"
    future = f"{now + timedelta(hours=3):%Y-%m-%dT%H:%M:%SZ}"
    return [
        ("bad timestamp", "yesterday-ish,usage-0,api_calls,1"),
        ("bad timestamp", "2026-13-45T99:00:00Z,usage-1,api_calls,1"),
        ("negative quantity", f"{ts},usage-0,api_calls,-3"),
        ("negative quantity", f"{ts},usage-1,storage_tb,-0.5"),
        ("non numeric quantity", f"{ts},usage-0,api_calls,lots"),
        ("non numeric quantity", f"{ts},usage-1,api_calls,12abc"),
        ("unknown dimension", f"{ts},usage-0,gpu_hours,4"),
        ("unknown dimension", f"{ts},usage-1,gpu_hours,4"),
        ("future timestamp", f"{future},usage-0,api_calls,1"),
        ("future timestamp", f"{future},usage-1,api_calls,1"),
        ("missing field", f"{ts},,api_calls,1"),
        ("missing field", f"{ts},usage-0,storage_tb,"),
    ]


def _file(now: datetime) -> tuple[bytes, list, dict[str, list[int]]]:
    good = usage_rows(now, 5000 - len(BAD_AT))
    lines = [f"{t:%Y-%m-%dT%H:%M:%SZ},{c},{d},{q}" for t, c, d, q in good]
    expected: dict[str, list[int]] = {}
    for index, (reason, text) in zip(BAD_AT, _bad_lines(now), strict=True):
        lines.insert(index, text)
        expected.setdefault(reason, []).append(index + 2)  # line 1 is the header
    return (HEADER + "\n".join(lines) + "\n").encode(), good, expected


async def test_a_5000_line_csv_is_billed_once_with_each_bad_line_reported(bot: Bot) -> None:
    now = datetime.now(UTC)
    data, good, bad = _file(now)
    shared = await share(bot, "usage.csv", data)

    preview = await thread_reply(bot, shared)
    text = text_of(preview)
    assert "5,000 line(s); 12 bad" in text
    for reason, numbers in bad.items():
        assert f"{reason}: line(s) {line_ranges(numbers)}" in text
    assert "Acme Corp" in text and "Globex" in text and "estimated extra" in text
    download = bot.slack.calls_to("download")[-1]
    assert download.headers["Authorization"] == "Bearer xoxb-test-token"

    upload_id = button_value(preview, ids.UPLOAD_REVIEW)
    await bot.says.click(ids.UPLOAD_REVIEW, upload_id)
    update = (await bot.slack.wait_for("views.update"))[-1]
    confirm, view_id = update.body["view"], update.body["view_id"]
    assert confirm["callback_id"] == ids.UPLOAD_CONFIRM_VIEW
    assert "Estimated extra charge this month" in json.dumps(confirm)

    answer = await bot.says.submit(confirm, {}, view_id=view_id)
    assert (await answer.json())["response_action"] == "update"
    status = await thread_reply(bot, shared, count=2)
    assert "accepted" in text_of(status)

    billed = {(c, d, h): q for (_, c, d, h), q in bot.marketplace.billed().items()}
    assert billed == expected_totals(good)
    with Session(bot.services.engine) as session:
        rows = session.exec(select(MeteringRecord)).all()
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "marketplace.send_manual")
        ).all()
    assert {r.source for r in rows} == {"upload:usage.csv"}
    assert {r.status for r in rows} == {LedgerStatus.ACCEPTED}
    assert [a.actor for a in audit] == [ADMIN]
    notice = await _channel_notice(bot)
    assert "usage.csv" in text_of(notice) and f"<@{ADMIN}>" in text_of(notice)

    # The same bytes shared again, under another name: refused, linked to the first.
    again = await share(bot, "usage-copy.csv", data)
    refused = text_of(await thread_reply(bot, again))
    assert "already shared" in refused and shared.id in refused
    # Confirm pressed again: nothing more is sent.
    before = len(bot.slack.calls_to("views.update"))
    await bot.says.submit(confirm, {}, view_id=view_id)
    await bot.slack.wait_for("views.update", count=before + 1)
    assert "already sent" in json.dumps(bot.slack.calls_to("views.update")[-1].body["view"])
    assert {(c, d, h): q for (_, c, d, h), q in bot.marketplace.billed().items()} == billed
    assert len(bot.marketplace.accepted) == len(billed)
    with Session(bot.services.engine) as session:
        assert session.exec(select(UsageUpload)).one().state == "sent"


async def _channel_notice(bot: Bot) -> Call:
    for _ in range(1000):
        for call in bot.slack.calls_to("chat.postMessage"):
            if call.body["channel"] == CHANNEL:
                return call
        await asyncio.sleep(0.01)
    raise AssertionError("no notification in the channel")
