"""The objects of one pass: claim, read, commit, each object overlapping its neighbours.

Reading (Polars, mostly outside the GIL) and committing (the database) use
different resources, so while object N's transaction runs in a background thread,
later objects are read too: up to four objects (192 MB between them; a larger
one is read alone) are read at once, so one object's single-threaded steps
(validating, grouping, Python glue) run while another's JSON is parsed, and both
CPUs stay busy. Only one commit runs at a time, and claims (and failure marks)
are made between commits, so on SQLite (one writer) nothing waits on the write lock.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from core.db import session_scope
from core.ingest.claims import Claim, claim, known_objects, mark_failed, record_reupload
from core.ingest.commit import commit_object
from core.ingest.objects import Context, ObjectResult, Progress, read_object
from core.ingest.records import batched
from core.ingest.report import IngestReport
from core.ingest.sources import ObjectRef, UsageSource
from core.models import IngestedObject
from core.models.ingest import ObjectStatus

log = logging.getLogger(__name__)

# Objects read at once: small ones several at a time, so one object's single-threaded
# steps overlap another's parsing; a large one alone (each holds up to three blocks).
_READING = 4
_READING_BYTES = 192 * 2**20
_SETTLED = {ObjectStatus.DONE, ObjectStatus.REUPLOADED}


@dataclass
class PassSettings:
    worker: str
    lease: timedelta
    chunk_bytes: int
    quarantine_cap: int
    progress: Progress | None


class PassRunner:
    def __init__(
        self,
        engine: Engine,
        source: UsageSource,
        context: Context,
        report: IngestReport,
        settings: PassSettings,
    ) -> None:
        self.engine, self.source, self.context, self.report = engine, source, context, report
        self.settings = settings
        self.started = time.monotonic()
        self._pending: tuple[Future[bool], Claim, ObjectResult] | None = None

    def clock(self) -> datetime:
        """The pass's `now` moved on by the time the pass has taken (leases, done marks)."""
        return self.context.now + timedelta(seconds=time.monotonic() - self.started)

    def run(self, refs: list[ObjectRef]) -> None:
        claims = self._claims(refs)
        with (
            ThreadPoolExecutor(_READING, thread_name_prefix="ingest-read") as reader,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-commit") as committer,
        ):
            reading: deque[tuple[Claim, Future[ObjectResult]]] = deque()
            try:
                while True:
                    self._settle()
                    # Claimed while no commit runs; read while earlier objects finish.
                    while _room(reading) and (taken := next(claims, None)):
                        reading.append((taken, reader.submit(self._read, taken)))
                    if not reading:
                        return
                    taken, future = reading.popleft()
                    result = self._result(taken, future)
                    if result is not None:
                        commit = committer.submit(
                            commit_object, self.engine, taken, result, now=self.clock()
                        )
                        self._pending = (commit, taken, result)
            finally:
                self._settle()

    def _claims(self, refs: list[ObjectRef]) -> Iterator[Claim]:
        for batch in batched(refs, 500):
            with session_scope(self.engine) as session:
                known = known_objects(session, source=self.source.name, keys=[r.key for r in batch])
            for ref in batch:
                taken = self._claim(ref, known.get(ref.key, []))
                if taken is not None:
                    yield taken

    def _claim(self, ref: ObjectRef, known: list[IngestedObject]) -> Claim | None:
        if any(row.etag == ref.etag and row.status in _SETTLED for row in known):
            return None
        others = [r for r in known if r.etag != ref.etag]
        counted = [r for r in others if r.status in (ObjectStatus.DONE, ObjectStatus.CLAIMED)]
        if counted and not any(row.etag == ref.etag for row in known):
            self._reuploaded(ref, counted[0])
            return None
        with session_scope(self.engine) as session:
            taken = claim(
                session,
                source=self.source.name,
                ref=ref,
                worker=self.settings.worker,
                now=self.clock(),
                lease=self.settings.lease,
            )
        if taken is None:
            self.report.in_progress += 1
        return taken

    def _reuploaded(self, ref: ObjectRef, counted: IngestedObject) -> None:
        with session_scope(self.engine) as session:
            new = record_reupload(
                session, source=self.source.name, ref=ref, counted=counted, now=self.clock()
            )
        if new:
            log.warning("re-uploaded %s not counted again (the first version stands)", ref.key)
            self.report.reuploaded.append(ref.key)
            self.report.reasons["reuploaded"] += 1
            self.report.rejected += 1

    def _read(self, taken: Claim) -> ObjectResult:
        return read_object(
            self.source,
            taken.ref,
            self.context,
            chunk_bytes=self.settings.chunk_bytes,
            quarantine_cap=self.settings.quarantine_cap,
            progress=self.settings.progress,
        )

    def _result(self, taken: Claim, reading: Future[ObjectResult]) -> ObjectResult | None:
        """The object's reading, or None once its failure is recorded (no commit runs now)."""
        try:
            return reading.result()
        except Exception as exc:
            self._failed(taken, exc)
            return None

    def _settle(self) -> None:
        """Wait for the commit in flight and account for it."""
        if self._pending is None:
            return
        commit, taken, result = self._pending
        self._pending = None
        try:
            committed = commit.result()
        except Exception as exc:
            self._failed(taken, exc)
            return
        if committed:
            self._add(taken.ref, result)
        else:
            self.report.in_progress += 1

    def _failed(self, taken: Claim, exc: Exception) -> None:
        log.warning("object %s failed; it will be retried", taken.ref.key, exc_info=exc)
        error = f"{type(exc).__name__}: {exc}"
        with session_scope(self.engine) as session:
            mark_failed(session, taken, now=self.clock(), error=error)
        self.report.failed.append((taken.ref.key, error[:300]))

    def _add(self, ref: ObjectRef, result: ObjectResult) -> None:
        report = self.report
        report.objects += 1
        report.bytes += ref.size
        report.records += result.records
        report.rejected += result.rejected
        report.unmatched += result.unmatched_records
        report.reasons.update(result.reasons)
        report.unmatched_ids.update(result.unmatched_ids)


def _room(reading: deque[tuple[Claim, Future[ObjectResult]]]) -> bool:
    """Whether another object may start reading now."""
    in_flight = sum(taken.ref.size for taken, _ in reading)
    return len(reading) < _READING and in_flight < _READING_BYTES
