"""Scheduled posts reach Slack: the real SlackNotifier against the local Web API stand-in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.notifier import SlackNotifier
from scheduler.jobs import Jobs
from scheduler.runner import build_scheduler
from tests.fakes.slack_api import SlackApiStandIn
from tests.scheduler.conftest import FORCED, Clock, Completions, eventually, services
from tests.scheduler.data import build_world


async def test_a_digest_and_a_failure_are_posted_to_the_channel(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as s:
        build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        s.commit()
    env = {
        "METERBOT_CHANNEL": "C0OPS",
        "METERBOT_SCHEDULE_INGEST": FORCED,
        "METERBOT_SCHEDULE_DAILY_DIGEST": "0 8 * * *",
        "METERBOT_USAGE_URL": str(tmp_path / "missing-folder"),
    }
    svc = services(engine, **env)
    async with SlackApiStandIn() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        notifier = SlackNotifier(client, channel="C0OPS")
        jobs = Jobs(services=svc, notifier=notifier, replica="r")
        scheduler = build_scheduler(svc, notifier, clock=Clock(), jobs=jobs)
        done = Completions(scheduler)
        scheduler.start()
        try:
            for job in ("ingest", "daily_digest"):
                scheduler.modify_job(job, next_run_time=datetime.now(UTC))
            await eventually(lambda: done.count == 2)
        finally:
            scheduler.shutdown(wait=False)

        posts = [call.body for call in slack.calls_to("chat.postMessage")]
        uploads = slack.calls_to("files.completeUploadExternal")

    texts = sorted(str(p.get("text")) for p in posts)
    assert all(p["channel"] == "C0OPS" for p in posts)
    assert any(t.startswith("Daily digest: Thu 2026-11-19") for t in texts), texts
    failure = next(t for t in texts if t.startswith("Scheduled job failed: ingest"))
    assert "missing-folder is not a folder" in failure
    assert len(uploads) == 1  # the digest chart, in the digest's thread
