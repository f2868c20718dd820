"""One ingestion pass: discover, claim, read, and commit each object exactly once.

For each object: claim it (its own short transaction), read and aggregate it
with no transaction open, then one transaction marks it done (with the claim's
token), merges its aggregates into the rollups and unmatched usage, and stores
its quarantined lines. A failure anywhere before that commit leaves nothing
counted: the object is marked failed and retried next pass; if the worker dies
instead, its lease runs out and another pass takes the object over.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select
from sqlmodel import Session, col

from core.customers import alias_map
from core.db import session_scope
from core.ingest.claims import (
    DEFAULT_LEASE,
    Claim,
    claim,
    known_objects,
    mark_done,
    mark_failed,
    record_reupload,
)
from core.ingest.formats import CHUNK_BYTES
from core.ingest.objects import Context, ObjectResult, Progress, read_object
from core.ingest.records import FIELDS, batched, default_fields
from core.ingest.report import IngestReport
from core.ingest.rollup_writer import write_rollups, write_unmatched
from core.ingest.sources import ObjectRef, UsageSource
from core.ingest.unmatched import resolve_unmatched
from core.ingest.validate import DEFAULT_MAX_AGE
from core.models import Dimension, FieldMapping, IngestedObject, QuarantinedLine
from core.models.ingest import ObjectStatus

log = logging.getLogger(__name__)

QUARANTINE_CAP = 10_000  # lines kept with their text per object; every one is counted
_SETTLED = {ObjectStatus.DONE, ObjectStatus.REUPLOADED}


def ingest_pass(
    engine: Engine,
    *,
    source: UsageSource,
    now: datetime,
    worker: str,
    progress: Progress | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    lease: timedelta = DEFAULT_LEASE,
    chunk_bytes: int = CHUNK_BYTES,
    quarantine_cap: int = QUARANTINE_CAP,
) -> IngestReport:
    """Ingest every new object of `source`; what happened, for people to read."""
    started = time.monotonic()
    report = IngestReport(source=source.name)
    with session_scope(engine) as session:
        report.resolved = resolve_unmatched(session, now=now)
        context = load_context(session, now=now, max_age=max_age)
    refs = list(source.discover(now=now))
    report.full_listing = bool(getattr(source, "full_listing", False))
    run = _Run(engine, source, context, report, worker, lease, chunk_bytes, quarantine_cap)
    for batch in batched(refs, 500):
        with session_scope(engine) as session:
            known = known_objects(session, source=source.name, keys=[r.key for r in batch])
        for ref in batch:
            run.one(ref, known.get(ref.key, []), progress, started)
    report.seconds = time.monotonic() - started
    return report


def load_context(session: Session, *, now: datetime, max_age: timedelta) -> Context:
    # Lowest id wins if two products share a dimension key.
    rows = session.execute(
        select(col(Dimension.key), col(Dimension.id)).order_by(col(Dimension.id).desc())
    )
    mapping = session.execute(
        select(FieldMapping).where(col(FieldMapping.name) == "default")
    ).scalar_one_or_none()
    fields = default_fields()
    if mapping is not None:
        fields |= {name: value for name, value in mapping.fields.items() if name in FIELDS}
    return Context({key: dim_id for key, dim_id in rows}, alias_map(session), fields, now, max_age)


class _Run:
    """The state of one pass over its objects."""

    def __init__(
        self,
        engine: Engine,
        source: UsageSource,
        context: Context,
        report: IngestReport,
        worker: str,
        lease: timedelta,
        chunk_bytes: int,
        quarantine_cap: int,
    ) -> None:
        self.engine, self.source, self.context, self.report = engine, source, context, report
        self.worker, self.lease = worker, lease
        self.chunk_bytes, self.quarantine_cap = chunk_bytes, quarantine_cap

    def clock(self, started: float) -> datetime:
        """The pass's `now` moved on by the time the pass has taken (for leases, done marks)."""
        return self.context.now + timedelta(seconds=time.monotonic() - started)

    def one(
        self, ref: ObjectRef, known: list[IngestedObject], progress: Progress | None, started: float
    ) -> None:
        if any(row.etag == ref.etag and row.status in _SETTLED for row in known):
            return
        counted = [r for r in known if r.etag != ref.etag and r.status != ObjectStatus.FAILED]
        counted = [r for r in counted if r.status != ObjectStatus.REUPLOADED]
        if counted and not any(row.etag == ref.etag for row in known):
            self._reuploaded(ref, counted[0], started)
            return
        with session_scope(self.engine) as session:
            taken = claim(
                session,
                source=self.source.name,
                ref=ref,
                worker=self.worker,
                now=self.clock(started),
                lease=self.lease,
            )
        if taken is None:
            self.report.in_progress += 1
            return
        self._count(taken, progress, started)

    def _reuploaded(self, ref: ObjectRef, counted: IngestedObject, started: float) -> None:
        with session_scope(self.engine) as session:
            new = record_reupload(
                session, source=self.source.name, ref=ref, counted=counted, now=self.clock(started)
            )
        if new:
            log.warning(
                "re-uploaded object %s not counted again (policy: first version stands)", ref.key
            )
            self.report.reuploaded.append(ref.key)
            self.report.reasons["reuploaded"] += 1
            self.report.rejected += 1

    def _count(self, taken: Claim, progress: Progress | None, started: float) -> None:
        ref = taken.ref
        try:
            result = read_object(
                self.source,
                ref,
                self.context,
                chunk_bytes=self.chunk_bytes,
                quarantine_cap=self.quarantine_cap,
                progress=progress,
            )
            committed = commit_object(self.engine, taken, result, now=self.clock(started))
        except Exception as exc:
            log.warning("object %s failed; it will be retried", ref.key, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
            with session_scope(self.engine) as session:
                mark_failed(session, taken, now=self.clock(started), error=error)
            self.report.failed.append((ref.key, error[:300]))
            return
        if committed:
            self._add(ref, result)
        else:
            self.report.in_progress += 1

    def _add(self, ref: ObjectRef, result: ObjectResult) -> None:
        report = self.report
        report.objects += 1
        report.bytes += ref.size
        report.records += result.records
        report.rejected += result.rejected
        report.unmatched += result.unmatched_records
        report.reasons.update(result.reasons)
        report.unmatched_ids.update(result.unmatched_ids)


def commit_object(engine: Engine, taken: Claim, result: ObjectResult, *, now: datetime) -> bool:
    """The object's done mark, aggregates and quarantine in one transaction.

    False (and nothing written) if another worker took the claim over meanwhile."""
    counts = {
        "records": result.records,
        "rejected": result.rejected,
        "unmatched": result.unmatched_records,
        "reasons": dict(result.reasons),
    }
    with session_scope(engine) as session:
        if not mark_done(session, taken, now=now, counts=counts):
            session.rollback()
            return False
        write_unmatched(session, result.unmatched)
        write_rollups(session, result.rollups)
        if result.quarantine:
            session.execute(insert(QuarantinedLine), _quarantine_rows(taken, result, now))
    return True


def _quarantine_rows(taken: Claim, result: ObjectResult, now: datetime) -> list[dict[str, object]]:
    return [
        {
            "object_id": taken.object_id,
            "line_no": line,
            "reason": reason,
            "raw": raw[:1000],
            "created_at": now,
        }
        for line, reason, raw in result.quarantine
    ]
