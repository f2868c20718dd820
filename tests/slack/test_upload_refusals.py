"""A shared usage file that cannot be used gets a clear answer in its thread and sends
nothing: not a CSV, too large, empty, every line bad; a non-admin is refused before
anything is read; files in channels count only after /meter upload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
from sqlmodel import Session, select

from bot.slack import ids
from core.models import AuditEvent, LedgerStatus, MeteringRecord, UsageUpload
from core.periods import hour_floor
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing
from tests.slack.signed import ADMIN, CHANNEL, USER
from tests.slack.uploads import (
    HEADER,
    button_value,
    csv_lines,
    share,
    text_of,
    thread_reply,
)


def _nothing_recorded(bot: Bot) -> None:
    with Session(bot.services.engine) as session:
        assert session.exec(select(UsageUpload)).all() == []
        assert session.exec(select(MeteringRecord)).all() == []


async def _answer(bot: Bot, name: str, data: bytes) -> str:
    return text_of(await thread_reply(bot, await share(bot, name, data)))


async def test_files_that_cannot_be_read_are_refused_with_the_reason(bot: Bot) -> None:
    now = datetime.now(UTC)
    good = csv_lines([(now - timedelta(hours=1), "usage-0", "api_calls", "5")])
    assert "not a CSV file" in await _answer(bot, "chart.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "not a CSV file" in await _answer(bot, "usage.jsonl", good)
    assert "is empty" in await _answer(bot, "empty.csv", HEADER.encode())
    assert "is empty" in await _answer(bot, "nothing.csv", b"")
    many = HEADER + "2026-12-01T00:00:00Z,usage-0,api_calls,1\n" * 100_001
    assert "the limit is 10 MB or 100,000 rows" in await _answer(bot, "many.csv", many.encode())
    huge = HEADER.encode() + b"x" * (10 * 2**20)
    downloads = len(bot.slack.calls_to("download"))
    assert "too large: the limit is 10 MB" in await _answer(bot, "huge.csv", huge)
    assert len(bot.slack.calls_to("download")) == downloads  # refused from files.info's size

    all_bad = await _answer(bot, "bad.csv", HEADER.encode() + b"soon,usage-0,api_calls,-1\n")
    assert "bad timestamp: line(s) 2" in all_bad and "Nothing in this file can be sent" in all_bad
    assert ids.UPLOAD_REVIEW not in all_bad
    # Too many bad lines to list in a message: every one follows as a file in the thread.
    lines = ["soon,usage-0,api_calls,1", "2026-12-01T00:00:00Z,usage-0,api_calls,-1"] * 10_000
    shared = await share(bot, "many_bad.csv", (HEADER + "\n".join(lines)).encode())
    assert "every one, with its text, is in the file below" in text_of(
        await thread_reply(bot, shared)
    )
    [done] = await bot.slack.wait_for("files.completeUploadExternal")
    assert done.body["thread_ts"] == shared.ts and "Bad lines of many_bad.csv" in done.body["files"]
    [upload] = bot.slack.calls_to("upload")
    assert (
        upload.data.count(b"\n") == 20_001
        and b'2,bad_timestamp,"soon,usage-0,api_calls,1"' in upload.data
    )
    _nothing_recorded(bot)


async def test_a_non_admin_is_refused_and_audited_before_anything_is_read(bot: Bot) -> None:
    data = csv_lines([(datetime.now(UTC), "usage-0", "api_calls", "5")])
    await share(bot, "usage.csv", data, user=USER, channel="DUSER0001")
    [refusal] = await bot.slack.wait_for("chat.postEphemeral")
    assert refusal.body["user"] == USER and "only meterbot admins" in refusal.body["text"]
    assert not bot.slack.calls_to("files.info") and not bot.slack.calls_to("download")
    with Session(bot.services.engine) as session:
        refusals = select(AuditEvent).where(AuditEvent.action != "plans.apply")  # not the world's
        audit = session.exec(refusals).one()
    assert (audit.actor, audit.action) == (USER, "refused:upload_usage")
    _nothing_recorded(bot)


async def test_in_a_channel_only_after_meter_upload_and_discard_sends_nothing(bot: Bot) -> None:
    now = datetime.now(UTC)
    data = csv_lines([(now - timedelta(hours=1), "usage-0", "api_calls", "5")])
    await share(bot, "team.csv", b"a,b\n1,2\n", channel=CHANNEL)  # not for meterbot
    await bot.says.command("upload")
    await reply_containing(bot.slack, "within 10 minutes")
    shared = await share(bot, "usage.csv", data, channel=CHANNEL)
    preview = await thread_reply(bot, shared)
    assert [c.body["file"] for c in bot.slack.calls_to("files.info")] == [shared.id]

    await bot.says.click(ids.UPLOAD_DISCARD, button_value(preview, ids.UPLOAD_DISCARD))
    discarded = await reply_containing(bot.slack, "was discarded by")
    assert discarded.body["replace_original"] is True
    await bot.says.click(ids.UPLOAD_REVIEW, button_value(preview, ids.UPLOAD_REVIEW))
    update = (await bot.slack.wait_for("views.update"))[-1]
    assert "already discarded" in text_of(update) or "was already discarded" in str(update.body)
    with Session(bot.services.engine) as session:
        assert session.exec(select(MeteringRecord)).all() == []


async def test_hours_already_sent_or_too_old_are_said_before_sending(bot: Bot) -> None:
    now = datetime.now(UTC)
    taken = hour_floor(now) - timedelta(hours=2)
    with Session(bot.services.engine) as session:
        session.add(
            MeteringRecord(
                customer_id=bot.world.customers["Acme Corp"],
                dimension_id=bot.world.calls_id,
                hour=taken,
                quantity=Decimal(7),
                status=LedgerStatus.ACCEPTED,
                source="scheduled",
            )
        )
        session.commit()
    rows = [
        (taken + timedelta(minutes=5), "usage-0", "api_calls", "5"),
        (now - timedelta(days=3), "usage-0", "api_calls", "9"),
        (now - timedelta(hours=1), "usage-7", "api_calls", "9"),
    ]
    text = await _answer(bot, "late.csv", csv_lines(rows))
    assert f"{taken:%Y-%m-%d %H:00}Z: already sent: goes into the next free hour" in text
    assert "older than 24 hours: carried into the current hour" in text
    assert "`usage-7`: 1 line(s)" in text  # no customer has this usage id


async def test_the_plans_files_field_mapping_names_the_columns(bot: Bot) -> None:
    from core.models import FieldMapping

    with Session(bot.services.engine) as session:
        mapping = {"timestamp": "ts", "customer": "cluster", "dimension": "metric"}
        session.add(FieldMapping(name="default", fields=mapping | {"quantity": "value"}))
        session.commit()
    rows = [(datetime.now(UTC) - timedelta(hours=1), "usage-1", "api_calls", "42")]
    text = await _answer(bot, "mapped.csv", csv_lines(rows, header="ts,cluster,metric,value\n"))
    assert "*Globex* · API calls: 1 line(s), 42 call" in text


async def test_the_download_needs_the_bot_token(bot: Bot) -> None:
    shared = bot.slack.share_file("usage.csv", b"secret", channel="D1", user=ADMIN)
    url = f"{bot.slack.base_url}files/{shared.id}/{shared.name}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as anonymous:
            assert anonymous.content_type == "text/html"
            assert b"secret" not in await anonymous.read()
        async with http.get(url, headers={"Authorization": "Bearer xoxb-t"}) as authorised:
            assert await authorised.read() == b"secret"


async def test_record_quantities_are_scaled_to_billed_units(bot: Bot) -> None:
    from core.models import Dimension

    with Session(bot.services.engine) as session:
        storage = session.get(Dimension, bot.world.storage_id)
        assert storage is not None
        storage.unit_scale = Decimal("0.001")  # records in GB, billed in TB
        session.commit()
    rows = [(datetime.now(UTC) - timedelta(hours=1), "usage-0", "storage_tb", "2500")]
    text = await _answer(bot, "gb.csv", csv_lines(rows))
    assert "*Acme Corp* · Storage: 1 line(s), 2.5 TB, estimated extra $50.00" in text
