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

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

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


def known_objects(
    session: Session, *, source: str, keys: Sequence[str]
) -> dict[str, list[IngestedObject]]:
    """What this source's objects with these keys have been through, by key."""
    known: dict[str, list[IngestedObject]] = {}
    for batch in batched(keys, 500):
        query = select(IngestedObject).where(
            col(IngestedObject.source) == source, col(IngestedObject.key).in_(batch)
        )
        for row in session.execute(query).scalars():
            known.setdefault(row.key, []).append(row)
    return known


def claim(
    session: Session, *, source: str, ref: ObjectRef, worker: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Take the object for this worker, or None if it is done or held by a live lease."""
    token = uuid.uuid4().hex
    values = {
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
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(IngestedObject)
        .values(values)
        .on_conflict_do_nothing(index_elements=["source", "key", "etag"])
        .returning(col(IngestedObject.id))
    )
    new_id = session.execute(statement).scalar()
    if new_id is not None:
        return Claim(new_id, token, ref)
    return _take_over(session, source=source, ref=ref, worker=worker, now=now, lease=lease)


def _take_over(
    session: Session, *, source: str, ref: ObjectRef, worker: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Retry a failed object or one whose worker's lease ran out (it crashed or stalled)."""
    token = uuid.uuid4().hex
    retryable = or_(
        col(IngestedObject.status) == ObjectStatus.FAILED,
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
    statement = (
        update(IngestedObject)
        .where(
            col(IngestedObject.id) == claim.object_id,
            col(IngestedObject.claim_token) == claim.token,
            col(IngestedObject.status) == ObjectStatus.CLAIMED,
        )
        .values(status=ObjectStatus.DONE, finished_at=now, lease_until=None, error=None, **counts)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]


def mark_failed(session: Session, claim: Claim, *, now: datetime, error: str) -> None:
    # Only a claim still open: a commit that raised after it went through stays done.
    statement = (
        update(IngestedObject)
        .where(col(IngestedObject.id) == claim.object_id)
        .where(col(IngestedObject.claim_token) == claim.token)
        .where(col(IngestedObject.status) == ObjectStatus.CLAIMED)
        .values(status=ObjectStatus.FAILED, finished_at=now, lease_until=None, error=error[:2000])
    )
    session.execute(statement)


def record_reupload(
    session: Session, *, source: str, ref: ObjectRef, counted: IngestedObject, now: datetime
) -> bool:
    """Keep a new version of a counted key on record, uncounted, with a quarantine note.

    False if it was already recorded (by this or another worker)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
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
