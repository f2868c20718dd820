"""Claiming objects so each is counted once, by one worker, even with several running.

A claim is a unique row (source, key, ETag): inserting it (ON CONFLICT DO NOTHING)
wins it; a failed attempt or an expired lease can be taken over with a
compare-and-set UPDATE. The claim carries a fresh token, and the transaction
that commits the object's rollups first marks the row done *with that token*:
a worker whose lease was taken over finds no row to mark and rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from core.ingest.claim_sql import claim_rows, known_rows, mark_rows_done, sqlite_mark_rows_done
from core.ingest.failures import next_step
from core.ingest.read.records import batched
from core.ingest.sources.base import ObjectRef
from core.models import IngestedObject, QuarantinedLine
from core.models.ingest import ObjectStatus

DEFAULT_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class Claim:
    object_id: int
    token: str
    ref: ObjectRef


@dataclass(frozen=True)
class Known:
    """What a pass needs to know of an object version already on record."""

    etag: str
    status: str
    retry_after: datetime | None
    claimed_at: datetime
    finished_at: datetime | None
    lease_until: datetime | None


def known_objects(session: Session, *, source: str, keys: Sequence[str]) -> dict[str, list[Known]]:
    """What this source's objects with these keys have been through, by key (plain
    columns, not ORM objects: a pass over thousands of done objects stays cheap)."""
    known: dict[str, list[Known]] = {}
    if not keys:
        return known
    if _postgresql(session):
        for key, *values in known_rows(session, source=source, keys=keys):
            known.setdefault(key, []).append(Known(*values))
        return known
    table = IngestedObject.__table__  # type: ignore[attr-defined]
    columns = [table.c.key, *(table.c[name] for name in Known.__dataclass_fields__)]
    for batch in batched(keys, 500):
        query = select(*columns).where(table.c.source == source, table.c.key.in_(batch))
        for key, *values in session.execute(query):
            known.setdefault(key, []).append(Known(*values))
    return known


def claim(
    session: Session, *, source: str, ref: ObjectRef, worker: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Take the object for this worker, or None if it is done or held by a live lease."""
    return claim_many(session, source=source, refs=[ref], worker=worker, now=now, lease=lease)[0]


def claim_many(
    session: Session,
    *,
    source: str,
    refs: Sequence[ObjectRef],
    worker: str,
    now: datetime,
    lease: timedelta,
) -> list[Claim | None]:
    """Claims for `refs`, in their order: new objects in one INSERT, the rest one by one
    (a failed object or an expired lease taken over); None where it cannot be taken."""
    tokens = [uuid.uuid4().hex for _ in refs]
    if _postgresql(session):
        won = claim_rows(
            session,
            source=source,
            rows=[(r.key, r.etag, r.size, t) for r, t in zip(refs, tokens, strict=True)],
            worker=worker,
            now=now,
            lease_until=now + lease,
        )
        return _claims(session, source, refs, tokens, won, worker, now, lease)
    rows = [
        _claim_row(source, ref, token, worker, now, lease)
        for ref, token in zip(refs, tokens, strict=True)
    ]
    table = IngestedObject.__table__  # type: ignore[attr-defined]
    # Many rows through one statement compiled once (SQLAlchemy sends them as multi-row
    # VALUES); spelling the rows into the statement would compile it anew each time.
    statement = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=["source", "key", "etag"])
        .returning(table.c.id, table.c.key, table.c.etag)
    )
    won = {
        (key, etag): new_id for new_id, key, etag in session.connection().execute(statement, rows)
    }
    return _claims(session, source, refs, tokens, won, worker, now, lease)


def _claims(
    session: Session,
    source: str,
    refs: Sequence[ObjectRef],
    tokens: list[str],
    won: dict[tuple[str, str], int],
    worker: str,
    now: datetime,
    lease: timedelta,
) -> list[Claim | None]:
    """The claims inserted, in order; the others taken over where they may be."""
    return [
        Claim(won[(ref.key, ref.etag)], token, ref)
        if (ref.key, ref.etag) in won
        else _take_over(session, source=source, ref=ref, worker=worker, now=now, lease=lease)
        for ref, token in zip(refs, tokens, strict=True)
    ]


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _claim_row(
    source: str, ref: ObjectRef, token: str, worker: str, now: datetime, lease: timedelta
) -> dict[str, object]:
    return {
        "source": source,
        "key": ref.key,
        "etag": ref.etag,
        "size": ref.size,
        "status": ObjectStatus.CLAIMED,
        "worker": worker,
        "claim_token": token,
        "lease_until": now + lease,
        "attempts": 1,
        "claimed_at": now,
        "reasons": {},
        "failures": 0,
    }


def _take_over(
    session: Session, *, source: str, ref: ObjectRef, worker: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Retry a failed object or one whose worker's lease ran out (it crashed or stalled)."""
    token = uuid.uuid4().hex
    retryable = or_(
        and_(
            col(IngestedObject.status) == ObjectStatus.FAILED,
            or_(
                col(IngestedObject.retry_after).is_(None),
                col(IngestedObject.retry_after) <= now,
            ),
        ),
        and_(
            col(IngestedObject.status) == ObjectStatus.CLAIMED,
            col(IngestedObject.lease_until) < now,
        ),
    )
    statement = (
        update(IngestedObject)
        .where(
            col(IngestedObject.source) == source,
            col(IngestedObject.key) == ref.key,
            col(IngestedObject.etag) == ref.etag,
            retryable,
        )
        .values(
            status=ObjectStatus.CLAIMED,
            worker=worker,
            claim_token=token,
            lease_until=now + lease,
            claimed_at=now,
            attempts=IngestedObject.attempts + 1,
        )
        .returning(col(IngestedObject.id))
    )
    object_id = session.execute(statement).scalar()
    return Claim(object_id, token, ref) if object_id is not None else None


def mark_done(session: Session, claim: Claim, *, now: datetime, counts: dict[str, object]) -> bool:
    """Mark the claimed object done, first thing in its commit transaction (this also
    locks the row). False if the claim was lost to another worker: roll back then."""
    return mark_all_done(session, [(claim, counts)], now=now)


def mark_all_done(
    session: Session, done: Sequence[tuple[Claim, dict[str, object]]], *, now: datetime
) -> bool:
    """Mark every claimed object done with its counts, in one statement; False (roll
    back then) unless every claim is still this worker's."""
    rows = [(claim.object_id, claim.token, counts) for claim, counts in done]
    if _postgresql(session):
        return mark_rows_done(session, rows, now=now) == len(done)
    return sqlite_mark_rows_done(session, rows, now=now) == len(done)


def mark_failed(
    session: Session, claim: Claim, *, now: datetime, error: str, passing: bool
) -> ObjectStatus | None:
    """Record a failed attempt: failed (retried after a pause) or, the same error
    repeating, unreadable. None if the claim is no longer open (a commit that raised
    after it went through stays done)."""
    held = (
        col(IngestedObject.id) == claim.object_id,
        col(IngestedObject.claim_token) == claim.token,
        col(IngestedObject.status) == ObjectStatus.CLAIMED,
    )
    row = session.execute(
        select(col(IngestedObject.error), col(IngestedObject.failures)).where(*held)
    ).one_or_none()
    if row is None:
        return None
    step = next_step(
        error=error, passing=passing, previous_error=row[0], previous_failures=row[1], now=now
    )
    values = {"status": step.status, "failures": step.failures, "retry_after": step.retry_after}
    session.execute(
        update(IngestedObject)
        .where(*held)
        .values(finished_at=now, lease_until=None, error=error[:2000], **values)
    )
    return step.status


def record_reupload(
    session: Session, *, source: str, ref: ObjectRef, counted: Known, now: datetime
) -> bool:
    """Keep a new version of a counted key on record, uncounted, with a quarantine note.

    False if it was already recorded (by this or another worker)."""
    insert: Any = sqlite_insert
    if _postgresql(session):  # the dialect's module is imported only where it is used
        from sqlalchemy.dialects.postgresql import insert
    row = {"source": source, "key": ref.key, "etag": ref.etag, "size": ref.size}
    row |= {"status": ObjectStatus.REUPLOADED, "claimed_at": now, "finished_at": now}
    row |= {"reasons": {"reuploaded": 1}, "rejected": 0, "records": 0, "unmatched": 0}
    statement = (
        insert(IngestedObject)
        .values(attempts=0, **row)
        .on_conflict_do_nothing(index_elements=["source", "key", "etag"])
        .returning(col(IngestedObject.id))
    )
    object_id = session.execute(statement).scalar()
    if object_id is None:
        return False
    note = (
        f"{ref.key}: new version (ETag {ref.etag}, {ref.size} bytes) not counted; "
        f"the version counted on {counted.finished_at or counted.claimed_at:%Y-%m-%d %H:%M} UTC "
        f"(ETag {counted.etag}) stands"
    )
    session.add(QuarantinedLine(object_id=object_id, line_no=0, reason="reuploaded", raw=note))
    return True
