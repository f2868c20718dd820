"""The one transaction that counts an object: done mark, aggregates, quarantine.

Objects read at about the same time are committed together when they can be: one
transaction holds every object's done mark, their aggregates merged once, and
their quarantined lines, so many small objects do not pay a commit (and a rollup
read-back) each. If that transaction cannot be made (a claim lost meanwhile, a
database error), each object is committed on its own, so one object's trouble
never holds the others back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Engine, insert
from sqlmodel import Session

from core.db import session_scope
from core.ingest.claims import Claim, mark_all_done
from core.ingest.late import note_late
from core.ingest.objects import ObjectResult
from core.ingest.read.aggregate import ROLLUP_KEY, UNMATCHED_KEY, combine
from core.ingest.rollup_writer import write_by_usage_id, write_rollups, write_unmatched
from core.ingest.usage_ids import KEY as USAGE_ID_KEY
from core.models import QuarantinedLine

log = logging.getLogger(__name__)

Outcome = bool | Exception  # committed, claim lost meanwhile, or why it failed


def commit_objects(
    engine: Engine, batch: Sequence[tuple[Claim, ObjectResult]], *, now: datetime
) -> list[Outcome]:
    """Commit `batch` in one transaction, else object by object; an outcome per object."""
    if len(batch) > 1:
        try:
            if _commit_together(engine, batch, now=now):
                return [True] * len(batch)
        except Exception as exc:  # one of them may be at fault: find out which, alone
            log.info("committing %d objects together failed (%s); one by one", len(batch), exc)
    return [_outcome(engine, taken, result, now=now) for taken, result in batch]


def commit_object(engine: Engine, taken: Claim, result: ObjectResult, *, now: datetime) -> bool:
    """The object's done mark, aggregates and quarantined lines, all or nothing.

    The done mark comes first: it locks the object's row (and, on SQLite, the
    database for writing) and proves the claim is still this worker's. False (and
    nothing written) if another worker took the claim over meanwhile."""
    return _commit_together(engine, [(taken, result)], now=now)


def _commit_together(
    engine: Engine, batch: Sequence[tuple[Claim, ObjectResult]], *, now: datetime
) -> bool:
    with session_scope(engine) as session:
        done = [(taken, _counts(result)) for taken, result in batch]
        if not mark_all_done(session, done, now=now):
            session.rollback()
            return False
        # Of equal `last_at`, combine keeps the later object's, as committing them one
        # after the other would (the record read last wins).
        results = [result for _, result in batch]
        write_unmatched(session, _merged([r.unmatched for r in results], UNMATCHED_KEY))
        rollups = _merged([r.rollups for r in results], ROLLUP_KEY)
        write_rollups(session, rollups)
        write_by_usage_id(session, _merged([r.by_usage_id for r in results], USAGE_ID_KEY))
        note_late(session, rollups, now=now)  # in the same transaction: never counted unsaid
        _quarantine(session, batch, now)
    return True


def _outcome(engine: Engine, taken: Claim, result: ObjectResult, *, now: datetime) -> Outcome:
    try:
        return commit_object(engine, taken, result, now=now)
    except Exception as exc:
        return exc


def _merged(parts: list[pl.DataFrame | None], keys: tuple[str, ...]) -> pl.DataFrame | None:
    frames = [part for part in parts if part is not None and part.height]
    if len(frames) <= 1:
        return frames[0] if frames else None
    return combine(frames, list(keys))


def _counts(result: ObjectResult) -> dict[str, object]:
    return {
        "records": result.records,
        "rejected": result.rejected,
        "unmatched": result.unmatched_records,
        "reasons": dict(result.reasons),
    }


def _quarantine(
    session: Session, batch: Sequence[tuple[Claim, ObjectResult]], now: datetime
) -> None:
    rows = [
        {
            "object_id": taken.object_id,
            "line_no": line,
            "reason": reason,
            "raw": raw[:1000],
            "created_at": now,
        }
        for taken, result in batch
        for line, reason, raw in result.quarantine
    ]
    if rows:
        session.execute(insert(QuarantinedLine), rows)
