"""Scheduler test parts: services over the test database, a recording notifier, a clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from core.marketplace.client import build_sender
from core.marketplace.records import Sender
from core.models import JobRun
from core.notifier import Message
from core.settings import Settings, load_settings

ALL_OFF = {
    name: "off"
    for name in (
        "METERBOT_SCHEDULE_INGEST",
        "METERBOT_SCHEDULE_SALESFORCE",
        "METERBOT_SCHEDULE_SUBMIT",
        "METERBOT_SCHEDULE_RETRY",
        "METERBOT_SCHEDULE_DAILY_DIGEST",
        "METERBOT_SCHEDULE_WEEKLY_DIGEST",
        "METERBOT_SCHEDULE_INVOICES",
        "METERBOT_SCHEDULE_AGREEMENTS",
        "METERBOT_SCHEDULE_RECONCILE",
        "METERBOT_SCHEDULE_RECONCILE_MONTHLY",
    )
}


@dataclass
class FakeServices:
    """What bot.app.Services hands the scheduler, over the test's own database."""

    settings: Settings
    engine: Engine
    s3: Any = None
    s3_getter: Any = None
    marketplace: Any = None
    agreements: Any = None
    cloudtrail: Any = None

    @cached_property
    def sender(self) -> Sender:
        return build_sender(dry_run=self.settings.dry_run, boto_client=lambda: self.marketplace)


# A schedule that fires only when a test ticks it (otherwise once a year): with "* * * * *"
# a real minute boundary during a test adds a run the test did not ask for, and the
# exact counts of finished runs it waits for are never reached.
FORCED = "0 0 1 1 *"


def services(engine: Engine, **env: str) -> FakeServices:
    return FakeServices(load_settings({**ALL_OFF, **env}), engine)


@dataclass
class RecordingNotifier:
    """A core.notifier.Notifier that keeps what it was asked to post."""

    sent: list[tuple[Message, str | None]] = field(default_factory=list)

    async def send(self, message: Message, *, channel: str | None = None) -> None:
        self.sent.append((message, channel))

    @property
    def titles(self) -> list[str]:
        return [m.title for m, _ in self.sent]


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def runs(engine: Engine, job: str | None = None) -> list[JobRun]:
    with Session(engine) as s:
        query = select(JobRun).order_by(JobRun.tick)
        if job:
            query = query.where(JobRun.job == job)
        return list(s.exec(query).all())


def finished_runs(engine: Engine) -> int:
    with Session(engine) as s:
        query = select(func.count()).select_from(JobRun).where(JobRun.status != "running")
        return int(s.exec(query).one())


class Completions:
    """Counts job executions the scheduler has finished (the whole guarded run, released)."""

    def __init__(self, *schedulers: Any) -> None:
        self.count = 0
        for scheduler in schedulers:
            scheduler.add_listener(self._done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _done(self, event: Any) -> None:
        self.count += 1


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for the scheduler's work to show; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the scheduler")
        await asyncio.sleep(0.02)
