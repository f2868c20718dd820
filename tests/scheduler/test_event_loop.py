"""Scheduled jobs share the event loop with Slack: building a boto3 client (which looks
up credentials, on EC2 over the network) must happen in a worker thread, never on it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from sqlalchemy import Engine

from core.ingest.report import IngestReport
from core.marketplace.client import build_sender
from core.marketplace.records import Sender
from core.settings import Settings
from scheduler.jobs import Jobs
from tests.scheduler.conftest import RecordingNotifier, services


@dataclass
class WatchedServices:
    """The composition root's clients, noting whether each was built on the event loop."""

    settings: Settings
    engine: Engine
    built_on_loop: list[str] = field(default_factory=list)

    def _client(self, name: str) -> Any:
        try:
            asyncio.get_running_loop()
            self.built_on_loop.append(name)
        except RuntimeError:
            pass  # a worker thread: blocking here is fine
        return boto3.client(
            name,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def s3_getter(self) -> Any:
        self._client("s3")  # the CRT client is built from it, credentials and all
        return None

    @property
    def marketplace(self) -> Any:
        return self._client("meteringmarketplace")

    @property
    def sender(self) -> Sender:
        return build_sender(dry_run=self.settings.dry_run, boto_client=lambda: self.marketplace)


async def test_jobs_build_their_aws_clients_off_the_event_loop(
    engine: Engine, tmp_path: Path
) -> None:
    plain = services(
        engine,
        METERBOT_USAGE_URL=f"s3://usage-bucket/{tmp_path.name}/",
        METERBOT_MARKETPLACE="live",
    )
    watched = WatchedServices(plain.settings, engine)
    jobs = Jobs(
        services=watched,
        notifier=RecordingNotifier(),
        replica="r1",
        ingest_pass=lambda engine, **kwargs: _nothing_new(),
    )
    now = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)

    await jobs.ingest(now)
    await jobs.submit(now)

    assert watched.built_on_loop == []


def _nothing_new() -> IngestReport:
    return IngestReport(source="s3://usage-bucket/")
