"""The one transaction that counts an object: done mark, aggregates, quarantine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert

from core.db import session_scope
from core.ingest.claims import Claim, mark_done
from core.ingest.objects import ObjectResult
from core.ingest.rollup_writer import write_rollups, write_unmatched
from core.models import QuarantinedLine


def commit_object(engine: Engine, taken: Claim, result: ObjectResult, *, now: datetime) -> bool:
    """The object's done mark, aggregates and quarantined lines, all or nothing.

    The done mark comes first: it locks the object's row (and, on SQLite, the
    database for writing) and proves the claim is still this worker's. False (and
    nothing written) if another worker took the claim over meanwhile."""
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
