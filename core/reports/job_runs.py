"""The record of scheduled job runs: claimed per (job, tick), finished with an outcome.

Claiming inserts the (job, tick) row; the unique constraint lets exactly one replica
win a tick. The finished rows feed `/meter status`, `/metrics` and the "report a
failure once, and again when it recovers" rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, and_, delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.db import session_scope
from core.models import JobRun
from core.models.ops_jobs import JobRunStatus

KEEP = timedelta(days=30)


def claim_run(
    engine: Engine, *, job: str, tick: datetime, replica: str, now: datetime
) -> int | None:
    """The new run's id, or None when another replica (or an earlier run) has this tick."""
    try:
        with session_scope(engine) as session:
            run = JobRun(job=job, tick=tick, replica=replica, started_at=now)
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


@dataclass(frozen=True)
class Finished:
    status: str
    previous_status: str | None  # the job's run before this one, if any


def finish_run(
    engine: Engine, *, run_id: int, ok: bool, summary: str, error: str | None, now: datetime
) -> Finished:
    with session_scope(engine) as session:
        run = session.get(JobRun, run_id)
        assert run is not None
        run.status = JobRunStatus.OK if ok else JobRunStatus.FAILED
        run.finished_at = now
        seconds = max((now - run.started_at).total_seconds(), 0.0)
        run.duration_seconds = Decimal(f"{seconds:.3f}")
        run.summary, run.error = summary[:1000], (error[:2000] if error else None)
        session.add(run)
        previous = session.exec(
            select(JobRun.status)
            .where(JobRun.job == run.job, col(JobRun.id) != run_id)
            .where(col(JobRun.status) != JobRunStatus.RUNNING)
            .order_by(col(JobRun.tick).desc(), col(JobRun.id).desc())
        ).first()
        session.execute(
            delete(JobRun).where(col(JobRun.job) == run.job, col(JobRun.tick) < now - KEEP)
        )
        return Finished(run.status, previous)


@dataclass(frozen=True)
class FailingJob:
    job: str
    since: datetime  # the tick of the first failure since the job last ran cleanly
    error: str


def failing_jobs(session: Session) -> list[FailingJob]:
    """Jobs whose latest finished run failed (the channel is told once; status keeps saying)."""
    finished = col(JobRun.status) != JobRunStatus.RUNNING
    latest = (
        select(JobRun.job, func.max(JobRun.tick).label("tick"))
        .where(finished)
        .group_by(col(JobRun.job))
        .subquery()
    )
    failed = session.exec(
        select(JobRun)
        .join(latest, and_(col(JobRun.job) == latest.c.job, col(JobRun.tick) == latest.c.tick))
        .where(JobRun.status == JobRunStatus.FAILED)
        .order_by(col(JobRun.job))
    ).all()
    return [
        FailingJob(run.job, _failing_since(session, run.job), run.error or "") for run in failed
    ]


def _failing_since(session: Session, job: str) -> datetime:
    ok = select(func.max(JobRun.tick)).where(JobRun.job == job, JobRun.status == JobRunStatus.OK)
    last_ok = session.exec(ok).one()
    query = select(func.min(JobRun.tick)).where(
        JobRun.job == job, JobRun.status == JobRunStatus.FAILED
    )
    if last_ok is not None:
        query = query.where(col(JobRun.tick) > last_ok)
    return session.exec(query).one()
