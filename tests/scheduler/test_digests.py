"""Digests: the last day or week against the one before, revenue, sends, problems, a real PNG."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session

from core.models import IngestedObject, MeteringRecord, QuarantinedLine
from core.periods import Period
from core.reports.digests import build_digest, digest_message, digest_periods
from tests.scheduler.data import build_world, usage

NOW = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)  # a Wednesday
DAY = timedelta(days=1)
H = timedelta(hours=1)


def test_periods_are_the_last_complete_day_and_week() -> None:
    day, before = digest_periods("day", NOW)
    assert day == Period(datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC))
    assert before.end == day.start
    week, _ = digest_periods("week", NOW)
    assert week == Period(datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))


def test_a_daily_digest_compares_usage_and_reports_problems(engine: Engine) -> None:
    yesterday = datetime(2026, 11, 17, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        for hour in range(24):
            usage(s, w.acme, w.storage, yesterday + hour * H, "12")
            usage(s, w.acme, w.storage, yesterday - DAY + hour * H, "10")
        usage(s, w.globex, w.requests, yesterday + 3 * H, "3000", count=30)
        s.add(
            MeteringRecord(
                customer_id=w.acme.id,
                dimension_id=w.storage.id,
                hour=yesterday,
                quantity=Decimal("0.5"),
                status="accepted",
                source="scheduled",
                sent_at=yesterday + H,
            )
        )
        s.add(
            MeteringRecord(
                customer_id=w.globex.id,
                dimension_id=w.requests.id,
                hour=yesterday + 3 * H,
                quantity=Decimal(3),
                status="failed",
                source="scheduled",
                updated_at=yesterday + 5 * H,
            )
        )
        source = IngestedObject(source="s3://b/p/", key="a.jsonl", etag="e1")
        s.add(source)
        s.flush()
        for n in range(3):
            s.add(
                QuarantinedLine(
                    object_id=source.id,
                    line_no=n,
                    reason="bad quantity",
                    raw="{}",
                    created_at=yesterday + 2 * H,
                )
            )
        s.flush()

        digest = build_digest(s, period="day", now=NOW)

    storage = next(c for c in digest.dimensions if c.key == "storage_tb")
    requests = next(c for c in digest.dimensions if c.key == "api_requests")
    assert (storage.current, storage.previous, storage.change) == (12, 10, "+20%")
    assert (requests.current, requests.change) == (3000, "new")
    assert (digest.sent, digest.failed) == (1, 1)
    assert digest.quarantined == [("bad quantity", 3)]
    assert [name for name, _, _ in digest.top_customers] == ["Acme Corp", "Globex"]
    assert digest.revenue["USD"] == sum(amount for _, amount, _ in digest.top_customers)

    message = digest_message(digest)
    assert message.title == "Daily digest: Tue 2026-11-17"
    assert "Storage (storage_tb): 12 TB, +20% vs 10" in message.lines
    assert ("Records sent / failed / pending", "1 / 1 / 0") in message.facts
    [chart] = message.attachments
    image = Image.open(io.BytesIO(chart.content))
    assert image.format == "PNG" and image.size[0] > 400


def test_a_weekly_digest_with_no_usage_still_posts(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        digest = build_digest(s, period="week", now=NOW)

    message = digest_message(digest)
    assert message.title == "Weekly digest: week of 2026-11-09"
    assert "No usage in either period." in message.lines
    assert Image.open(io.BytesIO(message.attachments[0].content)).format == "PNG"
