"""The scheduler: APScheduler 3 (AsyncIOScheduler) in the running event loop.

Every job is wrapped in `GuardedJob`, which (1) takes the job's lock (a PostgreSQL
advisory lock across replicas), (2) claims the (job, tick) row so each tick runs once
however many replicas fire it, (3) runs the job, logging a failure with its traceback
and never letting it reach the scheduler, (4) records the run, and (5) posts a failure
once, and a recovery once, rather than on every tick.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import SQLAlchemyError

from core.errors import MeterbotError
from core.models.ops_jobs import JobRunStatus
from core.notifier import Notifier
from core.reports.job_runs import claim_run, finish_run
from scheduler.jobs import JobBody, Jobs, ServicesLike
from scheduler.locks import JobLocks, job_locks
from scheduler.notices import Outage, failure_message, recovery_message

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobSpec:
    name: str
    schedule: str  # five-field cron, UTC
    body: JobBody
    grace: int  # seconds a late tick may still run (misfire_grace_time)
    # A tick this recent, missed while no process was running, is run at start-up
    # (once per tick). Short, so a fresh install does not close an old month.
    catch_up: timedelta | None = None


def job_specs(jobs: Jobs) -> list[JobSpec]:
    """Which job runs when, from the settings; "off" leaves a job out."""
    s = jobs.services.settings
    specs = [
        JobSpec("ingest", s.schedule_ingest, jobs.ingest, 60),
        JobSpec("submit", s.schedule_submit, jobs.submit, 15 * 60),
        JobSpec("submit_retry", s.schedule_retry, jobs.retry, 15 * 60),
        JobSpec("daily_digest", s.schedule_daily_digest, jobs.daily_digest, 6 * 3600),
        JobSpec("weekly_digest", s.schedule_weekly_digest, jobs.weekly_digest, 6 * 3600),
        JobSpec("invoices", s.schedule_invoices, jobs.invoices, 12 * 3600, timedelta(days=3)),
    ]
    if s.salesforce_configured:
        specs.append(JobSpec("salesforce_sync", s.schedule_salesforce, jobs.salesforce, 10 * 60))
    if not s.dry_run:  # live Marketplace: AWS's agreements are the contracts' truth
        specs.append(JobSpec("agreements_sync", s.schedule_agreements, jobs.agreements, 10 * 60))
        # CloudTrail and the invoices are AWS's: only a live account has anything to compare.
        weekly, monthly = s.schedule_reconcile, s.schedule_reconcile_monthly
        specs.append(JobSpec("reconcile_weekly", weekly, jobs.reconcile_weekly, 6 * 3600))
        specs.append(
            JobSpec(
                "reconcile_monthly", monthly, jobs.reconcile_monthly, 12 * 3600, timedelta(days=3)
            )
        )
    return [spec for spec in specs if spec.schedule != "off"]


def trigger_for(schedule: str) -> CronTrigger:
    return CronTrigger.from_crontab(schedule, timezone=UTC)


def last_fire(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The latest fire time in (now - window, now], if any."""
    fire = trigger.get_next_fire_time(None, now - window)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def tick_of(trigger: CronTrigger, now: datetime, grace: int) -> datetime:
    """The scheduled time this run belongs to: the latest fire time within the grace
    window, so replicas firing the same tick a little apart agree on it; a run outside
    any tick (started by hand) is its own minute."""
    tick = last_fire(trigger, now, timedelta(seconds=grace))
    return (tick or now.replace(second=0, microsecond=0)).astimezone(UTC)


class GuardedJob:
    """A job as the scheduler calls it (see the module docstring)."""

    def __init__(
        self,
        spec: JobSpec,
        *,
        jobs: Jobs,
        locks: JobLocks,
        clock: Clock,
        replica: str,
        outage: Outage | None = None,
    ) -> None:
        self.spec, self.jobs, self.locks, self.clock = spec, jobs, locks, clock
        self.replica, self.outage = replica, outage or Outage(jobs)
        self.trigger = trigger_for(spec.schedule)

    async def run(self, tick: datetime | None = None) -> None:
        """Run the current tick, or `tick` when catching up on one missed earlier."""
        try:
            await self._claimed(tick)
        except SQLAlchemyError as exc:
            await self.outage.failed(self.spec.name, exc)
            return
        await self.outage.ok()

    async def _claimed(self, tick: datetime | None) -> None:
        name, engine = self.spec.name, self.jobs.services.engine
        now = self.clock()
        if not await asyncio.to_thread(self.locks.acquire, name):
            log.info("job=%s skipped: still running elsewhere", name)
            return
        try:
            tick = tick or tick_of(self.trigger, now, self.spec.grace)
            run_id = await asyncio.to_thread(
                claim_run, engine, job=name, tick=tick, replica=self.replica, now=now
            )
            if run_id is None:
                log.debug("job=%s tick=%s already run", name, tick.isoformat())
                return
            await self._run(run_id, tick, now)
        finally:
            await asyncio.to_thread(self.locks.release, name)

    async def _run(self, run_id: int, tick: datetime, now: datetime) -> None:
        name = self.spec.name
        summary, error = "", None
        try:
            summary = await self.spec.body(now)
            log.info("job=%s tick=%s ok: %s", name, tick.isoformat(), summary)
        except Exception as exc:
            error = _describe(exc)
            log.exception("job=%s tick=%s failed: %s", name, tick.isoformat(), error)
        finished = await asyncio.to_thread(
            finish_run,
            self.jobs.services.engine,
            run_id=run_id,
            ok=error is None,
            summary=summary,
            error=error,
            now=self.clock(),
        )
        await self._report(finished.status, finished.previous_status, tick, error)

    async def _report(
        self, status: str, previous: str | None, tick: datetime, error: str | None
    ) -> None:
        failed_before = previous == JobRunStatus.FAILED
        if status == JobRunStatus.FAILED and not failed_before:
            message = failure_message(self.spec.name, tick, error or "")
        elif status == JobRunStatus.OK and failed_before:
            message = recovery_message(self.spec.name, tick)
        else:
            return
        try:
            await self.jobs.post(message)
        except Exception:
            log.exception("job=%s could not post its %s notice", self.spec.name, status)


def _describe(exc: Exception) -> str:
    """A user's error says what to do; anything else is named as unexpected."""
    if isinstance(exc, MeterbotError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"[:500]


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_scheduler(
    services: ServicesLike,
    notifier: Notifier,
    *,
    clock: Clock = utc_now,
    jobs: Jobs | None = None,
    locks: JobLocks | None = None,
) -> AsyncIOScheduler:
    """A scheduler with every configured job; call `.start()` inside the running loop."""
    replica = replica_name()
    jobs = jobs or Jobs(services=services, notifier=notifier, replica=replica)
    locks = locks or job_locks(services.engine)
    scheduler = AsyncIOScheduler(timezone=UTC)
    outage = Outage(jobs)
    for spec in job_specs(jobs):
        guarded = GuardedJob(
            spec, jobs=jobs, locks=locks, clock=clock, replica=replica, outage=outage
        )
        scheduler.add_job(
            guarded.run,  # a coroutine function, so APScheduler awaits it in the loop
            trigger=guarded.trigger,
            id=spec.name,
            name=spec.name,
            coalesce=True,  # ticks missed while the loop was busy run once, not N times
            max_instances=1,
            misfire_grace_time=spec.grace,
            replace_existing=True,
        )
        _catch_up(scheduler, guarded, clock())
    scheduler.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _catch_up(scheduler: AsyncIOScheduler, guarded: GuardedJob, now: datetime) -> None:
    """Run the job's latest tick now if it may have been missed while nothing ran.

    The (job, tick) claim makes this a no-op when any replica already ran that tick, so
    restarts never repeat it (the monthly invoices would otherwise wait a month)."""
    window = guarded.spec.catch_up
    missed = last_fire(guarded.trigger, now, window) if window else None
    if missed is None:
        return
    scheduler.add_job(
        guarded.run,
        trigger="date",  # as soon as the scheduler starts
        kwargs={"tick": missed},
        id=f"{guarded.spec.name}_catch_up",
        name=f"{guarded.spec.name} (catch-up of {missed:%Y-%m-%d %H:%M})",
        misfire_grace_time=None,
        replace_existing=True,
    )


def _on_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        when = event.scheduled_run_time
        log.warning("job=%s missed its %s run (beyond its misfire grace)", event.job_id, when)
    elif event.exception is not None:  # GuardedJob catches everything; this is a bug
        log.error("job=%s raised past its guard", event.job_id, exc_info=event.exception)


@asynccontextmanager
async def running_scheduler(
    services: ServicesLike, notifier: Notifier
) -> AsyncIterator[AsyncIOScheduler]:
    """The scheduler started in the current loop, shut down on exit (running jobs finish)."""
    scheduler = build_scheduler(services, notifier)
    scheduler.start()
    log.info("scheduler started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
        log.info("scheduler stopped")


__all__ = ["build_scheduler", "running_scheduler"]
