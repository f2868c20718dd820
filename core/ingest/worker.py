"""The objects of one pass: claim, read, commit, each read overlapping its neighbours.

Reading (Polars, mostly outside the GIL) and committing (the database) use
different resources, so while one transaction runs in a background thread, later
objects are read too: up to four reads (192 MB between them; a larger object is
read alone) run at once, so one read's single-threaded steps (validating,
grouping, Python glue) run while another's JSON is parsed, and both CPUs stay
busy. A read is one object, or a bundle of up to 64 small JSON Lines objects
parsed as one (bundle.py). Objects whose reading is done by the time the last
commit ends are committed together (commit.py), so many small objects do not
queue up behind a commit each. Only one commit runs at a time, and claims (and
failure marks) are made between commits, so on SQLite (one writer) nothing waits
on the write lock.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from core.db import session_scope
from core.ingest.bundle import BUNDLE_BYTES, BUNDLE_OBJECTS, FETCHES, bundleable, read_bundle
from core.ingest.bundle import Outcome as ReadOutcome
from core.ingest.bundle import weight as bundle_weight
from core.ingest.claim_sql import SETTLED
from core.ingest.claims import (
    Claim,
    Known,
    claim_many,
    known_objects,
    mark_failed,
    record_reupload,
)
from core.ingest.commit import Outcome, commit_objects
from core.ingest.context import Context, Progress
from core.ingest.failures import describe, is_passing
from core.ingest.late import LateFound
from core.ingest.objects import ObjectResult, read_object
from core.ingest.read.records import batched
from core.ingest.report import IngestReport
from core.ingest.sources.base import ObjectRef, UsageSource
from core.models.ingest import ObjectStatus

log = logging.getLogger(__name__)

_Batch = list[tuple[Claim, ObjectResult]]  # objects read, for one commit

# Reads at once: small ones several at a time, so one read's single-threaded steps
# overlap another's parsing; a large object alone (each holds up to five blocks).
_READING = 4
_READING_BYTES = 192 * 2**20
_CLAIM_OBJECTS = 256  # claimed in one statement (fewer when large: see _claim_groups)
# Objects read and waiting for a commit (their aggregates only), at most; and their size.
_WAITING = 512
_WAITING_BYTES = 2 * _READING_BYTES
_SPREAD_HOURS = 3  # an object spanning more hours than this is gathered with others
_MANY_KEYS = 1000  # ... if it has this many keys (customer, dimension, hour) at least


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
        self.late = report.late = LateFound()
        self.settings = settings
        self.started = time.monotonic()
        # The commit in flight: its outcomes, its objects, and the time it was given.
        self._pending: tuple[Future[list[Outcome]], _Batch, datetime] | None = None

    def clock(self) -> datetime:
        """The pass's `now` moved on by the time the pass has taken (leases, done marks)."""
        return self.context.now + timedelta(seconds=time.monotonic() - self.started)

    def run(self, refs: list[ObjectRef]) -> None:
        """Claim, read and commit `refs`: versions not settled when the pass began."""
        claims = self._claims(refs)
        with (
            ThreadPoolExecutor(_READING, thread_name_prefix="ingest-read") as reader,
            ThreadPoolExecutor(FETCHES, thread_name_prefix="ingest-fetch") as fetcher,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-commit") as committer,
        ):
            stock: deque[Claim] = deque()  # claimed, not yet reading
            reading: deque[_Read] = deque()
            ready = _Ready()  # read, waiting for a commit
            try:
                while True:
                    if self._pending is None or self._pending[0].done():
                        self._settle()
                        # Claims are written between commits, and ahead of the reads: a
                        # stock that runs dry would leave the reads waiting for a commit.
                        if len(stock) < _CLAIM_OBJECTS:
                            stock.extend(next(claims, []))
                    while stock and _room(reading, ready):
                        group = _next_read(stock)
                        reading.append(_Read(group, reader.submit(self._read, group, fetcher)))
                    running: list[Future[Any]] = [r.future for r in reading if not r.done]
                    if self._pending is not None:
                        # Until the commit is done, start more reads as others end.
                        wait([self._pending[0], *running], return_when=FIRST_COMPLETED)
                        continue
                    self._take_read(reading, ready, wait_for_one=not ready.objects)
                    if ready.objects and not (running and ready.gathering):
                        batch, ready = ready.objects, _Ready()
                        now = self.clock()
                        commit = committer.submit(commit_objects, self.engine, batch, now=now)
                        self._pending = (commit, batch, now)
                    elif running:
                        wait(running, return_when=FIRST_COMPLETED)
                    elif not stock and not reading and not ready.objects:
                        return
            finally:
                self._settle()

    def _claims(self, refs: list[ObjectRef]) -> Iterator[list[Claim]]:
        """Claims in groups (one transaction each, never an empty list): made between
        commits, they keep a stock that reads start from while a commit runs. A group
        is many small objects or a few large ones, so its lease covers its reading."""
        source = self.source.name
        for batch in batched(refs, 500):
            with session_scope(self.engine) as session:
                known = known_objects(session, source=source, keys=[r.key for r in batch])
            wanted = [ref for ref in batch if self._wanted(ref, known.get(ref.key, []))]
            for group in _claim_groups(wanted):
                with session_scope(self.engine) as session:
                    taken = claim_many(
                        session,
                        source=source,
                        refs=group,
                        worker=self.settings.worker,
                        now=self.clock(),
                        lease=self.settings.lease,
                    )
                self.report.in_progress += taken.count(None)
                if won := [t for t in taken if t is not None]:
                    yield won

    def _wanted(self, ref: ObjectRef, known: list[Known]) -> bool:
        """Whether to try to claim the object: not settled, not a re-upload of one counted."""
        same = [row for row in known if row.etag == ref.etag]
        if any(row.status in SETTLED for row in same):  # settled meanwhile
            return False
        if any(_pausing(row, self.clock()) for row in same):
            self.report.pausing += 1
            return False
        if any(_held(row, self.clock()) for row in same):  # another worker is on it
            self.report.in_progress += 1
            return False
        others = [r for r in known if r.etag != ref.etag]
        counted = [r for r in others if r.status in (ObjectStatus.DONE, ObjectStatus.CLAIMED)]
        if counted and not any(row.etag == ref.etag for row in known):
            self._reuploaded(ref, counted[0])
            return False
        return True

    def _reuploaded(self, ref: ObjectRef, counted: Known) -> None:
        with session_scope(self.engine) as session:
            new = record_reupload(
                session, source=self.source.name, ref=ref, counted=counted, now=self.clock()
            )
        if new:
            log.warning("re-uploaded %s not counted again (the first version stands)", ref.key)
            self.report.reuploaded.append(ref.key)
            self.report.reasons["reuploaded"] += 1
            self.report.rejected += 1

    def _read(self, group: list[Claim], fetcher: ThreadPoolExecutor) -> list[ReadOutcome]:
        """Each object's result or error, with the hours of the wide ones counted here:
        a Polars call on the pass's own thread queues behind the reads' and holds up
        the commits and reads that thread starts."""
        outcomes = self._read_group(group, fetcher)
        for outcome in outcomes:
            if isinstance(outcome, ObjectResult):
                outcome.hours = _hours(outcome)
        return outcomes

    def _read_group(self, group: list[Claim], fetcher: ThreadPoolExecutor) -> list[ReadOutcome]:
        """One object alone, several as a bundle."""
        refs = [taken.ref for taken in group]
        if len(refs) > 1:
            return read_bundle(
                self.source,
                refs,
                self.context,
                chunk_bytes=self.settings.chunk_bytes,
                quarantine_cap=self.settings.quarantine_cap,
                fetcher=fetcher,
                progress=self.settings.progress,
            )
        try:
            result = read_object(
                self.source,
                refs[0],
                self.context,
                chunk_bytes=self.settings.chunk_bytes,
                quarantine_cap=self.settings.quarantine_cap,
                progress=self.settings.progress,
            )
        except Exception as exc:
            return [exc]
        return [result]

    def _take_read(self, reading: deque[_Read], ready: _Ready, *, wait_for_one: bool) -> None:
        """Move the objects of the reads done at the head of `reading` (in read order:
        it breaks ties for `last`) to `ready`, waiting for the first if asked; the
        failures among them are recorded (no commit runs now)."""
        while reading and (reading[0].done or (wait_for_one and not ready.objects)):
            read = reading.popleft()
            try:
                outcomes = read.future.result()
            except Exception as exc:  # not the objects' fault, but none of them was read
                outcomes = [exc] * len(read.claims)
            for taken, outcome in zip(read.claims, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    self._failed(taken, outcome)
                else:
                    ready.add(taken, outcome)

    def _settle(self) -> None:
        """Wait for the commit in flight and account for each of its objects."""
        if self._pending is None:
            return
        commit, batch, now = self._pending
        self._pending = None
        try:
            outcomes = commit.result()
        except Exception as exc:
            outcomes = [exc] * len(batch)
        for (taken, result), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self._failed(taken, outcome)
            elif outcome:
                self._add(taken.ref, result, now)
            else:
                self.report.in_progress += 1

    def _failed(self, taken: Claim, exc: Exception) -> None:
        # The traceback is detail for -v; the report says what failed and why.
        log.debug("object %s failed", taken.ref.key, exc_info=exc)
        error = describe(exc)
        with session_scope(self.engine) as session:
            status = mark_failed(
                session, taken, now=self.clock(), error=error, passing=is_passing(exc)
            )
        if status is ObjectStatus.UNREADABLE:
            log.warning("object %s parked as unreadable: %s", taken.ref.key, error[:300])
            self.report.unreadable.append((taken.ref.key, error[:300]))
        else:
            log.warning("object %s failed; it will be retried: %s", taken.ref.key, error[:300])
            self.report.failed.append((taken.ref.key, error[:300]))

    def _add(self, ref: ObjectRef, result: ObjectResult, committed_at: datetime) -> None:
        report = self.report
        report.objects += 1
        report.bytes += ref.size
        report.records += result.records
        report.rejected += result.rejected
        if result.rejected:
            report.rejected_objects[ref.key] += result.rejected
        report.unmatched += result.unmatched_records
        report.reasons.update(result.reasons)
        report.unmatched_ids.update(result.unmatched_ids)
        self.late.add(result.rollups, committed_at)  # as the commit judged it late


def _claim_groups(refs: list[ObjectRef]) -> Iterator[list[ObjectRef]]:
    """Up to _CLAIM_OBJECTS objects a group, and no more than _READING_BYTES between them."""
    group: list[ObjectRef] = []
    for ref in refs:
        if group and (
            len(group) == _CLAIM_OBJECTS or sum(r.size for r in group) + ref.size > _READING_BYTES
        ):
            yield group
            group = []
        group.append(ref)
    if group:
        yield group


def _hours(result: ObjectResult) -> int:
    """Distinct hours of the object's rollups, counted only for one of many keys (the
    only kind worth gathering; see _Ready)."""
    if result.rollups is None or result.rollups.height < _MANY_KEYS:
        return 0
    return result.rollups["hour"].n_unique()


def _held(row: Known, now: datetime) -> bool:
    """Claimed by a worker whose lease still runs: trying to claim it would only wait
    on that worker's row and fail."""
    return (
        row.status == ObjectStatus.CLAIMED and row.lease_until is not None and row.lease_until > now
    )


def _pausing(row: Known, now: datetime) -> bool:
    """A failed object waiting out its pause before the next try."""
    return (
        row.status == ObjectStatus.FAILED and row.retry_after is not None and row.retry_after > now
    )


@dataclass
class _Read:
    """Objects being read together (one, or a bundle) and their outcomes to come."""

    claims: list[Claim]
    future: Future[list[ReadOutcome]]

    @property
    def done(self) -> bool:
        return self.future.done()

    @property
    def size(self) -> int:
        return sum(taken.ref.size for taken in self.claims)


def _next_read(stock: deque[Claim]) -> list[Claim]:
    """The next object, with the small JSON Lines objects after it when it is one too."""
    group = [stock.popleft()]
    if not bundleable(group[0].ref):
        return group
    total = bundle_weight(group[0].ref)
    while stock and len(group) < BUNDLE_OBJECTS and bundleable(stock[0].ref):
        total += bundle_weight(stock[0].ref)
        if total > BUNDLE_BYTES:
            break
        group.append(stock.popleft())
    return group


@dataclass
class _Ready:
    """Objects read and waiting for a commit, and how many hours the widest one spans.

    Objects that each span many hours (a product writing several files at once over
    the day) share most of their keys: merged in memory before one commit, they cost
    the database one write per key instead of one per key and object, so while more
    of them are being read, the commit waits for them (as far as `_room` allows).
    Objects of an hour or two each commit at once, overlapping the next reads."""

    objects: _Batch = field(default_factory=list)
    widest: int = 0  # distinct hours of the widest object's rollups

    def add(self, taken: Claim, result: ObjectResult) -> None:
        self.objects.append((taken, result))
        self.widest = max(self.widest, result.hours)  # counted for objects of many keys

    @property
    def gathering(self) -> bool:
        return self.widest > _SPREAD_HOURS

    @property
    def size(self) -> int:
        return sum(taken.ref.size for taken, _ in self.objects)


def _room(reading: deque[_Read], ready: _Ready) -> bool:
    """Whether another read may start now (while a commit runs, too)."""
    running = [read.size for read in reading if not read.done]
    small = len(running) < _READING and sum(running) < _READING_BYTES
    held = sum(len(read.claims) for read in reading) + len(ready.objects)
    size = sum(read.size for read in reading) + ready.size
    return small and held < _WAITING and size < _WAITING_BYTES
