"""How meterbot is doing right now: ingestion lag, problems waiting, the ledger's backlog.

`collect_status` reads the tables directly (a handful of COUNT queries), so `/meter
status` and the Slack home tab can answer in milliseconds however much usage there is.
A scheduled job whose latest run failed stays a problem until it runs cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.marketplace.late import recent_late
from core.marketplace.window import deadline
from core.models import (
    FindingState,
    IngestedObject,
    LedgerStatus,
    MeteringRecord,
    ReconcileFinding,
    UnmatchedUsage,
)
from core.models.ingest import ObjectStatus
from core.periods import as_utc
from core.reports.job_runs import FailingJob, failing_jobs

# Beyond these, the status calls something a problem.
LAG_WARNING = timedelta(hours=2)
# Marketplace stops taking an hour 24 hours on, or at 06:00 UTC on the 1st for last
# month's hours, whichever comes first: warn while there is time to act.
DEADLINE_WARNING = timedelta(hours=12)
DAY = timedelta(hours=24)
LATE_SHOWN = timedelta(days=7)  # late usage stays on the status this long after it is said
ERROR_SHOWN = 300  # a job's error as the status shows it
OPEN_LEDGER = (LedgerStatus.PENDING, LedgerStatus.SENT, LedgerStatus.FAILED)


@dataclass(frozen=True)
class Status:
    now: datetime
    last_ingestion: datetime | None
    objects_last_day: int
    failed_objects: int
    quarantined_lines: int
    quarantined_last_day: int
    unmatched_ids: int
    unmatched_hours: int
    ledger: dict[str, int] = field(default_factory=dict)
    oldest_pending_hour: datetime | None = None
    failing_jobs: list[FailingJob] = field(default_factory=list)
    late_usage: list[str] = field(default_factory=list)  # what became of usage too old to send
    # Reconciliation findings still open, per month (YYYY-MM -> count).
    open_findings: dict[str, int] = field(default_factory=dict)
    unreadable_objects: int = 0  # parked after failing the same way again and again

    @property
    def lag(self) -> timedelta | None:
        return None if self.last_ingestion is None else self.now - self.last_ingestion

    @property
    def pending(self) -> int:
        return self.ledger.get(LedgerStatus.PENDING, 0) + self.ledger.get(LedgerStatus.SENT, 0)

    @property
    def failed(self) -> int:
        return self.ledger.get(LedgerStatus.FAILED, 0)

    def verdict(self) -> str:
        problems = self.problems()
        return "All is well." if not problems else f"{len(problems)} thing(s) need a look."

    def facts(self) -> list[tuple[str, str]]:
        """The figures `/meter status`, the home tab and `meterbot status` all show."""
        return [
            ("Last ingestion", _when(self.last_ingestion, self.now)),
            ("Files in the last day", str(self.objects_last_day)),
            (
                "Quarantined lines",
                f"{self.quarantined_lines} ({self.quarantined_last_day} today)",
            ),
            ("Unmatched usage ids", str(self.unmatched_ids)),
            ("Waiting to send", str(self.pending)),
            ("Failed records", str(self.failed)),
        ]

    def as_text(self) -> str:
        """What `/meter status` shows, as plain text for the command line."""
        lines = [f"meterbot status: {self.verdict()}"]
        lines += [f"  {label}: {value}" for label, value in self.facts()]
        lines += [f"  - {problem}" for problem in self.problems()]
        lines.append(f"As of {self.now:%Y-%m-%d %H:%M} UTC")
        return "\n".join(lines)

    def _closes_soon(self, hour: datetime) -> bool:
        return deadline(hour) - self.now < DEADLINE_WARNING

    def _pending_problem(self, hour: datetime) -> str:
        closes, age = deadline(hour), _hours(self.now - hour)
        when = f"{closes:%Y-%m-%d %H:%M} UTC"
        if closes <= self.now:
            return f"records pending for {age}; Marketplace stopped taking them at {when}"
        return f"records pending for {age}; Marketplace refuses them after {when}"

    def problems(self) -> list[str]:
        """What someone should look at, most urgent first; empty when all is well."""
        found: list[str] = []
        if self.failed:
            found.append(f"{self.failed} metering record(s) failed to send")
        if self.oldest_pending_hour and self._closes_soon(self.oldest_pending_hour):
            found.append(self._pending_problem(self.oldest_pending_hour))
        if self.lag is None:
            found.append("no usage has been ingested yet")
        elif self.lag > LAG_WARNING:
            found.append(f"ingestion is {_hours(self.lag)} behind")
        if self.failed_objects:
            found.append(f"{self.failed_objects} usage file(s) could not be read")
        if self.unreadable_objects:
            found.append(
                f"{self.unreadable_objects} usage file(s) parked as unreadable; after a fix: "
                "meterbot ingest --retry-unreadable"
            )
        if self.unmatched_ids:
            found.append(f"usage from {self.unmatched_ids} unknown customer id(s) is waiting")
        if self.quarantined_last_day:
            found.append(f"{self.quarantined_last_day} usage line(s) quarantined in the last day")
        found += [f"late usage: {line}" for line in self.late_usage]
        found += [
            f"{count} difference(s) with AWS open for {month} (meterbot reconcile --month {month})"
            for month, count in sorted(self.open_findings.items())
        ]
        found += [
            f"scheduled job {f.job} is failing (since {as_utc(f.since):%Y-%m-%d %H:%M} UTC): "
            f"{f.error[:ERROR_SHOWN]}"
            for f in self.failing_jobs
        ]
        return found


def collect_status(session: Session, *, now: datetime) -> Status:
    now = as_utc(now)
    since = now - DAY
    return Status(
        now=now,
        last_ingestion=session.exec(
            select(func.max(IngestedObject.finished_at)).where(
                col(IngestedObject.status) == ObjectStatus.DONE
            )
        ).one(),
        objects_last_day=_count(
            session,
            IngestedObject,
            col(IngestedObject.finished_at) >= since,
            col(IngestedObject.status) == ObjectStatus.DONE,
        ),
        failed_objects=_count(
            session, IngestedObject, col(IngestedObject.status) == ObjectStatus.FAILED
        ),
        quarantined_lines=_rejected(session),
        quarantined_last_day=_rejected(session, col(IngestedObject.finished_at) >= since),
        unmatched_ids=_unmatched(session, distinct_ids=True),
        unmatched_hours=_unmatched(session, distinct_ids=False),
        ledger=_ledger_counts(session),
        oldest_pending_hour=session.exec(
            select(func.min(MeteringRecord.hour)).where(col(MeteringRecord.status).in_(OPEN_LEDGER))
        ).one(),
        failing_jobs=failing_jobs(session),
        late_usage=recent_late(session, since=now - LATE_SHOWN),
        open_findings=_open_findings(session),
        unreadable_objects=_unreadable(session),
    )


def _count(session: Session, table: type, *where: object) -> int:
    query = select(func.count()).select_from(table)
    for condition in where:
        query = query.where(condition)  # type: ignore[arg-type]
    return int(session.exec(query).one())


def _rejected(session: Session, *where: Any) -> int:
    """Lines quarantined: counted per object (the stored lines are capped; counts are not)."""
    query = select(func.coalesce(func.sum(IngestedObject.rejected), 0)).where(*where)
    return int(session.exec(query).one())


def _unreadable(session: Session) -> int:
    """Parked objects whose key has not been counted since (a corrected upload)."""
    done = aliased(IngestedObject)
    counted_since = (
        select(done.id)
        .where(done.source == IngestedObject.source, done.key == IngestedObject.key)
        .where(done.status == ObjectStatus.DONE)
    )
    query = (
        select(func.count())
        .select_from(IngestedObject)
        .where(col(IngestedObject.status) == ObjectStatus.UNREADABLE, ~counted_since.exists())
    )
    return int(session.exec(query).one())


def _unmatched(session: Session, *, distinct_ids: bool) -> int:
    measure = func.count(func.distinct(UnmatchedUsage.usage_id)) if distinct_ids else func.count()
    query = select(measure).where(col(UnmatchedUsage.resolved_customer_id).is_(None))
    return int(session.exec(query).one() or 0)


def _ledger_counts(session: Session) -> dict[str, int]:
    query = select(MeteringRecord.status, func.count()).group_by(col(MeteringRecord.status))
    return {status: int(n) for status, n in session.exec(query).all()}


def _open_findings(session: Session) -> dict[str, int]:
    query = (
        select(ReconcileFinding.month, func.count())
        .where(ReconcileFinding.state == FindingState.OPEN)
        .group_by(col(ReconcileFinding.month))
    )
    return {month: int(n) for month, n in session.exec(query).all()}


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({_ago(now - moment)})"


def _ago(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"
