"""Prometheus metrics, read from the database at scrape time (bot.metrics serves them).

The database is the one place every replica writes to, so any replica answers the
same numbers; nothing is counted in process memory and there are no import-time
globals: `build_registry` makes a fresh CollectorRegistry around one collector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from core.models import (
    HourlyRollup,
    IngestedObject,
    JobRun,
    MeteringRecord,
    QuarantinedLine,
    UnmatchedUsage,
)
from core.models.ops_jobs import JobRunStatus


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine, self._clock = engine, clock

    def collect(self) -> Iterator[Metric]:
        with Session(self._engine) as session:
            yield from _ingestion(session, self._clock())
            yield from _ledger(session)
            yield from _jobs(session)


def _ingestion(session: Session, now: datetime) -> Iterator[Metric]:
    newest = session.exec(select(func.max(HourlyRollup.last_at))).one()
    lag = GaugeMetricFamily(
        "meterbot_ingestion_lag_seconds",
        "Seconds between now and the newest usage record rolled up",
    )
    lag.add_metric([], (now - newest).total_seconds() if newest else float("nan"))
    yield lag
    records = session.exec(select(func.coalesce(func.sum(IngestedObject.records), 0))).one()
    yield CounterMetricFamily(
        "meterbot_records_ingested", "Usage records counted into rollups", value=records
    )
    quarantined = session.exec(select(func.count()).select_from(QuarantinedLine)).one()
    yield CounterMetricFamily(
        "meterbot_lines_quarantined", "Usage lines kept aside as unusable", value=quarantined
    )
    unmatched = session.exec(
        select(func.count())
        .select_from(UnmatchedUsage)
        .where(col(UnmatchedUsage.resolved_customer_id).is_(None))
    ).one()
    yield GaugeMetricFamily(
        "meterbot_unmatched_usage_rows",
        "Hourly usage rows under ids no customer has yet",
        value=unmatched,
    )


def _ledger(session: Session) -> Iterator[Metric]:
    rows = GaugeMetricFamily(
        "meterbot_ledger_rows", "Metering ledger rows by status", labels=["status"]
    )
    query = select(MeteringRecord.status, func.count()).group_by(col(MeteringRecord.status))
    for status, n in session.exec(query):
        rows.add_metric([status], n)
    yield rows


def _jobs(session: Session) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "meterbot_job_runs", "Scheduled job runs by outcome", labels=["job", "status"]
    )
    failures = CounterMetricFamily(
        "meterbot_job_failures", "Scheduled job runs that failed", labels=["job"]
    )
    durations = SummaryMetricFamily(
        "meterbot_job_duration_seconds", "Scheduled job run durations", labels=["job"]
    )
    last_ok = GaugeMetricFamily(
        "meterbot_job_last_success_timestamp_seconds",
        "When each job last finished cleanly (Unix time)",
        labels=["job"],
    )
    finished = col(JobRun.status) != JobRunStatus.RUNNING
    query = select(JobRun.job, JobRun.status, func.count()).where(finished)
    for job, status, n in session.exec(query.group_by(col(JobRun.job), col(JobRun.status))):
        runs.add_metric([job, status], n)
        if status == JobRunStatus.FAILED:
            failures.add_metric([job], n)
    for job, (n, total) in _durations(session).items():
        durations.add_metric([job], count_value=n, sum_value=total)
    ok = select(JobRun.job, func.max(JobRun.finished_at)).where(JobRun.status == JobRunStatus.OK)
    for job, when in session.exec(ok.group_by(col(JobRun.job))):
        if when is not None:
            last_ok.add_metric([job], _as_utc(when).timestamp())
    yield from (runs, failures, durations, last_ok)


def _durations(session: Session) -> dict[str, tuple[int, float]]:
    """Job -> (runs, total seconds); floats are fine here: timings, not money."""
    seconds = col(JobRun.duration_seconds)
    query = (
        sa_select(col(JobRun.job), func.count(seconds), func.sum(seconds))
        .where(seconds.isnot(None))
        .group_by(col(JobRun.job))
    )
    return {job: (int(n), float(total or 0)) for job, n, total in session.execute(query)}


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_registry(engine: Engine, *, clock: Callable[[], datetime] | None = None) -> Any:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine, clock or (lambda: datetime.now(UTC))))
    return registry


def render_metrics(engine: Engine, *, clock: Callable[[], datetime] | None = None) -> bytes:
    return generate_latest(build_registry(engine, clock=clock))
