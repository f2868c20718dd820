"""What the scheduler posts about itself: a job failing or recovering, the database
going or coming back. Each is posted once per change, never on every tick."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from core.notifier import Message, Severity
from scheduler.jobs import Jobs

log = logging.getLogger(__name__)


def failure_message(job: str, tick: datetime, error: str) -> Message:
    return Message(
        title=f"Scheduled job failed: {job}",
        summary=error,
        severity=Severity.ERROR,
        facts=[("Job", job), ("Failing since", f"{tick:%Y-%m-%d %H:%M} UTC")],
        lines=["It keeps running on schedule; this is posted once, and again when it recovers."],
    )


def recovery_message(job: str, tick: datetime) -> Message:
    return Message(
        title=f"Scheduled job recovered: {job}",
        summary=f"{job} ran cleanly at {tick:%Y-%m-%d %H:%M} UTC",
        severity=Severity.SUCCESS,
    )


class Outage:
    """The database being unreachable, posted once when it goes and once when it is back.

    While it is down no job can record its run, so the once-per-failure rule that
    reads earlier runs cannot apply; this remembers in the process instead.
    """

    def __init__(self, jobs: Jobs) -> None:
        self.jobs, self.down = jobs, False

    async def failed(self, job: str, exc: SQLAlchemyError) -> None:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        log.error("job=%s skipped: database unreachable: %s", job, reason)
        if not self.down:
            self.down = True
            await self._post(database_down_message(job, reason))

    async def ok(self) -> None:
        if self.down:
            self.down = False
            await self._post(database_back_message())

    async def _post(self, message: Message) -> None:
        try:
            await self.jobs.post(message)
        except Exception:
            log.exception("could not post the database notice")


def database_down_message(job: str, reason: str) -> Message:
    return Message(
        title="Database unreachable: scheduled jobs are not running",
        summary=reason,
        severity=Severity.ERROR,
        facts=[("First noticed by", job)],
        lines=["Jobs keep trying on schedule; this is posted once, and again when it is back."],
    )


def database_back_message() -> Message:
    return Message(
        title="Database reachable again",
        summary="scheduled jobs are running again",
        severity=Severity.SUCCESS,
    )
