"""GET /metrics in Prometheus format, and the monthly, digest and submit jobs end to end."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import Session

from bot.metrics import add_metrics_route
from core.models import IngestedObject, MeteringRecord
from core.reports.job_runs import claim_run, finish_run
from scheduler.jobs import Jobs
from tests.scheduler.conftest import RecordingNotifier, services
from tests.scheduler.data import build_world, usage

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def test_metrics_are_served_from_the_database(engine: Engine) -> None:
    with Session(engine) as s:
        w = build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        an_hour_ago = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - HOUR
        usage(s, w.acme, w.requests, an_hour_ago, "5")
        s.add(IngestedObject(source="f", key="a", etag="1", records=120, status="done"))
        s.add(
            MeteringRecord(
                customer_id=w.acme.id,
                dimension_id=w.requests.id,
                hour=NOW,
                quantity=Decimal(1),
                status="failed",
                source="scheduled",
            )
        )
        s.commit()
    for minute, ok in ((0, True), (1, False)):
        run = claim_run(
            engine, job="ingest", tick=NOW + timedelta(minutes=minute), replica="r", now=NOW
        )
        assert run is not None
        finish_run(
            engine,
            run_id=run,
            ok=ok,
            summary="",
            error=None if ok else "boom",
            now=NOW + timedelta(minutes=minute, seconds=2),
        )

    app = web.Application()
    add_metrics_route(app, services(engine))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        text = await response.text()

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("meterbot_records_ingested_total", ())] == 120
    assert samples[("meterbot_ledger_rows", (("status", "failed"),))] == 1
    assert samples[("meterbot_job_runs_total", (("job", "ingest"), ("status", "failed")))] == 1
    assert samples[("meterbot_job_failures_total", (("job", "ingest"),))] == 1
    assert samples[("meterbot_job_duration_seconds_count", (("job", "ingest"),))] == 2
    assert 3600 <= samples[("meterbot_ingestion_lag_seconds", ())] < 3 * 3600


async def test_the_monthly_job_posts_invoices_with_a_csv(engine: Engine) -> None:
    with Session(engine) as s:
        w = build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        usage(s, w.acme, w.requests, datetime(2026, 11, 10, tzinfo=UTC), "2000")
        s.commit()
    notifier = RecordingNotifier()
    jobs = Jobs(
        services=services(engine, METERBOT_CHANNEL="C-BILLING"), notifier=notifier, replica="r"
    )

    await jobs.invoices(NOW)
    await jobs.invoices(NOW)  # a rerun finds the stored invoices: same totals

    first, second = (m for m, _ in notifier.sent)
    assert first.title == "Invoices for 2026-11" and notifier.sent[0][1] == "C-BILLING"
    assert first.summary == "2 invoices finalized, USD 202.00" == second.summary
    rows = list(csv.reader(io.StringIO(first.attachments[0].content.decode())))
    assert [r[0] for r in rows].count("customer") == 1  # one header for every invoice
    assert {r[0] for r in rows[1:]} == {"Acme Corp", "Globex"}


async def test_the_digest_job_posts_a_chart_to_the_digest_channel(engine: Engine) -> None:
    with Session(engine) as s:
        build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        s.commit()
    notifier = RecordingNotifier()
    env = {"METERBOT_CHANNEL": "C-OPS", "METERBOT_DIGEST_CHANNEL": "C-DIGEST"}
    jobs = Jobs(services=services(engine, **env), notifier=notifier, replica="r")

    await jobs.daily_digest(NOW)

    [(message, channel)] = notifier.sent
    assert channel == "C-DIGEST" and message.title == "Daily digest: Mon 2026-11-30"
    assert Image.open(io.BytesIO(message.attachments[0].content)).format == "PNG"


async def test_the_submit_job_in_dry_run_says_what_would_be_sent(engine: Engine) -> None:
    with Session(engine) as s:
        w = build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        usage(s, w.acme, w.requests, NOW - timedelta(hours=2), "40")
        s.commit()
    notifier = RecordingNotifier()
    jobs = Jobs(
        services=services(engine, METERBOT_MARKETPLACE="dry-run"), notifier=notifier, replica="r"
    )

    summary = await jobs.submit(NOW + timedelta(minutes=5))

    assert "would send" in summary
    assert notifier.titles == ["Marketplace dry run"]
