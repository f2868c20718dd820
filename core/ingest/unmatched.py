"""Unmatched usage: usage under an id no customer has yet, counted once the mapping appears.

Ingestion keeps such usage per (usage id, dimension, hour) in UnmatchedUsage.
`resolve_unmatched` moves the rows whose id now maps to a customer into that
customer's hourly rollups and marks them resolved, in the caller's transaction,
so each row is moved exactly once (rows are locked first on PostgreSQL; a second
worker waiting on them finds them resolved and skips them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlmodel import Session, col

from core.customers.lookup import alias_map
from core.models import AuditEvent, UnmatchedUsage


def resolve_unmatched(session: Session, *, now: datetime) -> int:
    """Move unmatched usage whose id now maps to a customer into rollups; records moved."""
    waiting = _unresolved_ids(session)
    if not waiting:  # the usual case: no usage waits for a customer
        return 0
    aliases = alias_map(session)
    rows = _lock_mapped(session, waiting, aliases)
    if not rows:
        return 0
    # Loaded here: a pass with no usage to move (nor objects to read) starts without Polars.
    from core.ingest.unmatched_rollups import merge_into_rollups

    merge_into_rollups(session, rows, aliases, now=now)
    session.execute(
        update(UnmatchedUsage)
        .where(col(UnmatchedUsage.id).in_([row.id for row in rows]))
        .values(resolved_customer_id=_customer_case(aliases, rows), resolved_at=now)
    )
    moved: dict[str, int] = {}
    for row in rows:
        moved[row.usage_id] = moved.get(row.usage_id, 0) + row.count
    subject = ", ".join(moved)[:255]
    audit = AuditEvent(at=now, actor="ingest", action="unmatched.resolved", subject=subject)
    audit.detail = moved
    session.add(audit)
    return sum(moved.values())


def _lock_mapped(
    session: Session, waiting: set[str], aliases: dict[str, int]
) -> Sequence[UnmatchedUsage]:
    """Unresolved rows whose id (one of `waiting`) now maps to a customer, locked, in
    key order."""
    mapped = sorted(usage_id for usage_id in waiting if usage_id in aliases)
    if not mapped:
        return []
    query = (
        select(UnmatchedUsage)
        .where(col(UnmatchedUsage.usage_id).in_(mapped))
        .where(col(UnmatchedUsage.resolved_customer_id).is_(None))
        .order_by(
            col(UnmatchedUsage.usage_id), col(UnmatchedUsage.dimension_id), col(UnmatchedUsage.hour)
        )
        .with_for_update()
    )
    return session.execute(query).scalars().all()


def _customer_case(aliases: dict[str, int], rows: Sequence[UnmatchedUsage]) -> Any:
    ids = {row.usage_id: aliases[row.usage_id] for row in rows}
    return case(ids, value=col(UnmatchedUsage.usage_id))


def _unresolved_ids(session: Session) -> set[str]:
    query = (
        select(col(UnmatchedUsage.usage_id))
        .where(col(UnmatchedUsage.resolved_customer_id).is_(None))
        .distinct()
    )
    return set(session.execute(query).scalars())
