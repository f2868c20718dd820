"""The real APScheduler, ticked by hand: failures, misfires, replicas, once-only alerts."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from core.access import Admins
from core.alerts.rules import add_rule
from core.db import make_engine
from core.ingest.report import IngestReport
from scheduler.jobs import Jobs
from scheduler.locks import ProcessLocks
from scheduler.runner import build_scheduler, running_scheduler
from tests.scheduler.conftest import (
    FORCED,
    Clock,
    Completions,
    RecordingNotifier,
    eventually,
    finished_runs,
    runs,
    services,
)
from tests.scheduler.data import build_world

ADMINS = Admins(frozenset({"U1"}))  # who may send, retry and change rules here

MINUTE = timedelta(minutes=1)


def tick(scheduler: Any, job: str = "ingest") -> None:
    """Fire `job` now, as its trigger would."""
    scheduler.modify_job(job, next_run_time=datetime.now(UTC))


async def test_a_failing_job_is_reported_once_and_again_when_it_recovers(
    engine: Engine, tmp_path: Path
) -> None:
    svc = services(engine, METERBOT_SCHEDULE_INGEST=FORCED, METERBOT_USAGE_URL=str(tmp_path))
    notifier, clock = RecordingNotifier(), Clock()
    broken = threading.Event()
    broken.set()

    def ingest_pass(engine: Engine, **kwargs: Any) -> IngestReport:
        if broken.is_set():
            raise RuntimeError("bucket vanished")
        return IngestReport(source=str(tmp_path))

    jobs = Jobs(services=svc, notifier=notifier, replica="r1", ingest_pass=ingest_pass)
    scheduler = build_scheduler(svc, notifier, clock=clock, jobs=jobs)
    done = Completions(scheduler)
    scheduler.start()
    try:
        for n in range(1, 4):
            tick(scheduler)
            await eventually(lambda n=n: done.count == n)  # type: ignore[misc]
            clock.now += MINUTE
        assert notifier.titles == ["Scheduled job failed: ingest"]
        assert notifier.sent[0][0].summary == "unexpected RuntimeError: bucket vanished"
        assert scheduler.running and scheduler.get_job("ingest") is not None

        broken.clear()
        tick(scheduler)
        await eventually(lambda: done.count == 4)
    finally:
        scheduler.shutdown(wait=False)
    assert notifier.titles == ["Scheduled job failed: ingest", "Scheduled job recovered: ingest"]
    statuses = [(r.status, r.tick.minute) for r in runs(engine)]
    assert statuses == [("failed", 5), ("failed", 6), ("failed", 7), ("ok", 8)]
    assert runs(engine)[0].error == "unexpected RuntimeError: bucket vanished"


async def test_missed_ticks_are_coalesced_into_one_run(engine: Engine) -> None:
    svc = services(engine, METERBOT_SCHEDULE_INGEST="* * * * *")
    notifier = RecordingNotifier()
    scheduler = build_scheduler(svc, notifier)
    scheduler.start()
    started = datetime.now(UTC)
    try:
        # The loop was stalled for five minutes: five ticks are due at once.
        scheduler.modify_job("ingest", next_run_time=started - 5 * MINUTE)
        await eventually(lambda: finished_runs(engine) >= 1)
        await asyncio.sleep(0.3)
    finally:
        scheduler.shutdown(wait=False)
    # One run for the five, and one more (perhaps still running) only if a real minute
    # began meanwhile.
    began = (minute_floor(datetime.now(UTC)) - minute_floor(started)) // MINUTE
    done = runs(engine)
    assert 1 <= len(done) <= 1 + began
    assert (done[0].status, done[0].summary) == (
        "ok",
        "METERBOT_USAGE_URL is not set; nothing to ingest",
    )


async def test_two_replicas_run_each_tick_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    env = {"METERBOT_SCHEDULE_INGEST": FORCED, "METERBOT_USAGE_URL": str(tmp_path)}
    clock, calls = Clock(), []
    other_engine = make_engine(database_url)
    replicas = []
    for name, eng in (("a", engine), ("b", other_engine)):
        svc = services(eng, **env)

        def ingest_pass(engine: Engine, *, worker: str, **kwargs: Any) -> IngestReport:
            calls.append(worker)
            return IngestReport(source=str(tmp_path))

        notifier = RecordingNotifier()
        jobs = Jobs(services=svc, notifier=notifier, replica=name, ingest_pass=ingest_pass)
        replicas.append(build_scheduler(svc, notifier, clock=clock, jobs=jobs))
    done = Completions(*replicas)
    for scheduler in replicas:
        scheduler.start()
    try:
        for n in (1, 2):
            for scheduler in replicas:
                tick(scheduler)
            await eventually(lambda n=n: done.count == 2 * n)  # type: ignore[misc]
            clock.now += MINUTE
    finally:
        for scheduler in replicas:
            scheduler.shutdown(wait=False)
        other_engine.dispose()
    assert len(calls) == 2
    assert [r.tick.minute for r in runs(engine)] == [5, 6]


async def test_a_long_run_holds_the_advisory_lock_across_replicas(postgres_url: str) -> None:
    engines = [make_engine(postgres_url), make_engine(postgres_url)]
    release, calls = threading.Event(), []
    clock = Clock(datetime(2031, 1, 1, 0, 0, tzinfo=UTC))  # ticks no other test uses
    replicas = []
    for name, eng in zip("ab", engines, strict=True):
        svc = services(eng, METERBOT_SCHEDULE_INGEST=FORCED, METERBOT_USAGE_URL="/tmp")

        def slow_pass(engine: Engine, *, worker: str, **kwargs: Any) -> IngestReport:
            calls.append(worker)
            release.wait(5)
            return IngestReport(source="/tmp")

        notifier = RecordingNotifier()
        jobs = Jobs(services=svc, notifier=notifier, replica=name, ingest_pass=slow_pass)
        replicas.append(build_scheduler(svc, notifier, clock=clock, jobs=jobs))
    for scheduler in replicas:
        scheduler.start()
    try:
        tick(replicas[0])
        await eventually(lambda: calls == ["a"])
        clock.now += MINUTE  # the next tick comes while the first run is still going
        tick(replicas[1])
        await asyncio.sleep(0.3)
        assert calls == ["a"]  # b found the lock taken and skipped
        release.set()
        await eventually(lambda: finished_runs(engines[0]) >= 1)
    finally:
        for scheduler in replicas:
            scheduler.shutdown(wait=False)
        for eng in engines:
            eng.dispose()


async def test_an_alert_posted_by_the_ingest_job_is_not_repeated(
    engine: Engine, tmp_path: Path
) -> None:
    clock = Clock(datetime(2026, 11, 20, 12, 5, tzinfo=UTC))
    with Session(engine) as s:
        build_world(s, since=datetime(2026, 11, 1, tzinfo=UTC))
        add_rule(s, text="api_requests > 1000", actor="U1", admins=ADMINS, now=clock.now)
        s.commit()
    folder = tmp_path / "usage"
    folder.mkdir()
    usage_file(folder / "a.jsonl", "cluster-acme", "api_requests", [700, 800])
    svc = services(engine, METERBOT_SCHEDULE_INGEST=FORCED, METERBOT_USAGE_URL=str(folder))
    notifier = RecordingNotifier()
    scheduler = build_scheduler(svc, notifier, clock=clock)
    done = Completions(scheduler)
    scheduler.start()
    try:
        tick(scheduler)
        await eventually(lambda: done.count == 1)
        clock.now += MINUTE
        usage_file(folder / "b.jsonl", "cluster-acme", "api_requests", [5])
        tick(scheduler)
        await eventually(lambda: done.count == 2)
    finally:
        scheduler.shutdown(wait=False)
    assert notifier.titles == ["Usage alert"], [r.error for r in runs(engine)]
    assert "Acme Corp: api_requests at 1,500 requests this month" in notifier.sent[0][0].summary
    assert "1 records" in runs(engine)[1].summary


def usage_file(path: Path, customer: str, dimension: str, quantities: list[int]) -> None:
    lines = [
        {
            "timestamp": f"2026-11-20T11:{i:02d}:00Z",
            "customer": customer,
            "dimension": dimension,
            "quantity": q,
        }
        for i, q in enumerate(quantities)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


async def test_the_scheduler_lives_as_long_as_the_web_app(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    svc = services(engine, METERBOT_SCHEDULE_DAILY_DIGEST="0 8 * * *")
    app = web.Application()

    async def scheduler_context(app: web.Application) -> AsyncIterator[None]:
        async with running_scheduler(svc, RecordingNotifier()):
            yield

    app.cleanup_ctx.append(scheduler_context)
    runner = web.AppRunner(app)
    caplog.set_level(logging.INFO, logger="scheduler.runner")

    await runner.setup()
    assert "scheduler started: daily_digest" in caplog.messages
    await runner.cleanup()
    assert caplog.messages[-1] == "scheduler stopped"


async def test_monthly_invoices_missed_while_down_run_once_at_start_up(engine: Engine) -> None:
    """Nothing ran at 07:00 on the 1st: the next start closes the month, a restart does not."""
    svc = services(engine, METERBOT_SCHEDULE_INVOICES="0 7 1 * *")
    closed: list[datetime] = []

    async def invoices(now: datetime) -> str:
        closed.append(now)
        return "closed"

    for restart in range(2):
        notifier = RecordingNotifier()
        jobs = Jobs(services=svc, notifier=notifier, replica=f"r{restart}")
        jobs.invoices = invoices  # type: ignore[method-assign]
        clock = Clock(datetime(2026, 12, 2, 9, 30, tzinfo=UTC) + restart * timedelta(hours=1))
        scheduler = build_scheduler(svc, notifier, clock=clock, jobs=jobs)
        done = Completions(scheduler)
        scheduler.start()
        try:
            await eventually(lambda done=done: done.count == 1)  # type: ignore[misc]
        finally:
            scheduler.shutdown(wait=False)
    assert len(closed) == 1
    assert [(r.job, r.tick, r.status) for r in runs(engine, "invoices")] == [
        ("invoices", datetime(2026, 12, 1, 7, tzinfo=UTC), "ok")
    ]


async def test_an_unreachable_database_is_posted_once_and_its_return_once(tmp_path: Path) -> None:
    down = make_engine("postgresql+psycopg://meterbot@127.0.0.1:1/gone")
    svc = services(down, METERBOT_SCHEDULE_INGEST=FORCED)
    notifier, clock = RecordingNotifier(), Clock()
    jobs = Jobs(services=svc, notifier=notifier, replica="r1")
    # Process locks, so that only the run's own claim finds the database gone (and back).
    scheduler = build_scheduler(svc, notifier, clock=clock, jobs=jobs, locks=ProcessLocks())
    done = Completions(scheduler)
    scheduler.start()
    try:
        for n in range(1, 3):
            tick(scheduler)
            await eventually(lambda n=n: done.count == n)  # type: ignore[misc]
        assert notifier.titles == ["Database unreachable: scheduled jobs are not running"]
        assert "127.0.0.1" in notifier.sent[0][0].summary

        back = make_engine(f"sqlite:///{tmp_path}/back.db")
        SQLModel.metadata.create_all(back)
        svc.engine = back
        tick(scheduler)
        await eventually(lambda: done.count == 3)
    finally:
        scheduler.shutdown(wait=False)
        down.dispose()
    assert notifier.titles[-1] == "Database reachable again"


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
