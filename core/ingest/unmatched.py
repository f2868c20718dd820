"""Unmatched usage: usage under an id no customer has yet, counted once the mapping appears.

Ingestion keeps such usage per (usage id, dimension, hour) in UnmatchedUsage.
`resolve_unmatched` moves the rows whose id now maps to a customer into that
customer's hourly rollups and marks them resolved, in the caller's transaction,
so each row is moved exactly once (rows are locked first on PostgreSQL; a second
worker waiting on them finds them resolved and skips them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from core.customers import alias_map
from core.ingest.rollup_writer import Delta, Key, merged, write_rollups
from core.models import AuditEvent, UnmatchedUsage


def resolve_unmatched(session: Session, *, now: datetime) -> int:
    """Move unmatched usage whose id now maps to a customer into rollups; records moved."""
    pending = _unresolved_ids(session)
    aliases = alias_map(session)
    mapped = sorted(usage_id for usage_id in pending if usage_id in aliases)
    if not mapped:
        return 0
    rows = (
        session.execute(
            select(UnmatchedUsage)
            .where(col(UnmatchedUsage.usage_id).in_(mapped))
            .where(col(UnmatchedUsage.resolved_customer_id).is_(None))
            .order_by(
                col(UnmatchedUsage.usage_id),
                col(UnmatchedUsage.dimension_id),
                col(UnmatchedUsage.hour),
            )
            .with_for_update()
        )
        .scalars()
        .all()
    )
    deltas: dict[Key, Delta] = {}
    moved: dict[str, int] = {}
    for row in rows:
        customer_id = aliases[row.usage_id]
        key = (customer_id, row.dimension_id, row.hour)
        delta = Delta(row.sum, row.count, row.min, row.max, row.last, row.last_at)
        deltas[key] = merged(deltas[key], delta) if key in deltas else delta
        moved[row.usage_id] = moved.get(row.usage_id, 0) + row.count
        session.execute(
            update(UnmatchedUsage)
            .where(col(UnmatchedUsage.id) == row.id)
            .values(resolved_customer_id=customer_id, resolved_at=now)
        )
    write_rollups(session, deltas)
    session.add(
        AuditEvent(
            at=now,
            actor="ingest",
            action="unmatched.resolved",
            subject=", ".join(moved)[:255],
            detail=moved,
        )
    )
    return sum(moved.values())


def _unresolved_ids(session: Session) -> set[str]:
    query = (
        select(col(UnmatchedUsage.usage_id))
        .where(col(UnmatchedUsage.resolved_customer_id).is_(None))
        .distinct()
    )
    return set(session.execute(query).scalars())
