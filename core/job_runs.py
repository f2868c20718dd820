"""The record of scheduled job runs: claimed per (job, tick), finished with an outcome.

Claiming inserts the (job, tick) row; the unique constraint lets exactly one replica
win a tick. The finished rows feed `/meter status`, `/metrics` and the "report a
failure once, and again when it recovers" rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, delete
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


def latest_runs(session: Session) -> dict[str, JobRun]:
    """Each job's most recent run (for /meter status)."""
    latest: dict[str, JobRun] = {}
    for run in session.exec(select(JobRun).order_by(col(JobRun.tick), col(JobRun.id))):
        latest[run.job] = run
    return latest
