"""The ledger (outbox): claiming rows to send, recording Marketplace's answers, the audit view.

A row is claimed by one sender at a time: a conditional update sets `claimed_by` and a
lease `claimed_until` (on PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED, so
concurrent senders pass each other by). A claimed row is marked `sent` and committed
before the call, so a crash between the call and the answer leaves it `sent`: the next
pass resends the identical record and Marketplace answers Success with the same id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, update
from sqlmodel import Session, col, or_, select

from core.marketplace.usage import period_of
from core.marketplace.window import earliest_open_hour, latest_open_hour
from core.models import Customer, Dimension, LedgerStatus, MeteringRecord
from core.models.ledger import MeteringState

LEASE = timedelta(minutes=10)
SENDABLE = (LedgerStatus.PENDING, LedgerStatus.SENT)
_CHUNK = 500


def claim(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease: timedelta = LEASE,
    ids: Sequence[int] | None = None,
) -> list[MeteringRecord]:
    """Rows only this sender will send: pending, or sent with an unknown outcome, whose
    hour has begun and whose lease has run out; oldest hours first. The caller commits."""
    free = or_(col(MeteringRecord.claimed_until).is_(None), col(MeteringRecord.claimed_until) < now)
    query = (
        select(MeteringRecord.id)
        .where(col(MeteringRecord.status).in_(SENDABLE), free)
        .where(col(MeteringRecord.hour) <= latest_open_hour(now))
        .order_by(col(MeteringRecord.hour), col(MeteringRecord.id))
    )
    if ids is not None:
        query = query.where(col(MeteringRecord.id).in_(list(ids)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = [i for i in session.exec(query).all() if i is not None]
    until = now + lease
    for start in range(0, len(candidates), _CHUNK):
        session.execute(
            update(MeteringRecord)
            .where(col(MeteringRecord.id).in_(candidates[start : start + _CHUNK]))
            .where(col(MeteringRecord.status).in_(SENDABLE), free)
            .values(claimed_by=owner, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
    claimed = select(MeteringRecord).where(
        MeteringRecord.claimed_by == owner, MeteringRecord.claimed_until == until
    )
    rows = session.exec(claimed.execution_options(populate_existing=True)).all()
    return sorted(rows, key=lambda r: (r.hour, r.id or 0))


def held(
    session: Session, *, owner: str, now: datetime, ids: Sequence[int] | None = None
) -> tuple[int, datetime | None]:
    """Rows due but claimed by another pass whose lease still runs (a pass that stopped
    mid-send, or one still sending): how many, and when the last lease runs out."""
    query = (
        select(func.count(), func.max(MeteringRecord.claimed_until))
        .where(col(MeteringRecord.status).in_(SENDABLE))
        .where(col(MeteringRecord.claimed_until) >= now, MeteringRecord.claimed_by != owner)
        .where(col(MeteringRecord.hour) <= latest_open_hour(now))
    )
    if ids is not None:
        query = query.where(col(MeteringRecord.id).in_(list(ids)))
    count, until = session.exec(query).one()
    return int(count or 0), until


def release(row: MeteringRecord, *, now: datetime) -> None:
    row.claimed_by = None
    row.claimed_until = None
    row.updated_at = now


def carry_forward(
    session: Session, *, customer_id: int, dimension: Dimension, units: Decimal, now: datetime
) -> None:
    """Owe `units` on the customer's next record for `dimension`."""
    state = session.exec(
        select(MeteringState).where(
            MeteringState.customer_id == customer_id, MeteringState.dimension_id == dimension.id
        )
    ).first()
    if state is None:
        start = period_of(dimension, earliest_open_hour(now)).start
        state = MeteringState(
            customer_id=customer_id,
            dimension_id=dimension.id or 0,
            first_period=start,
            next_period=start,
        )
        session.add(state)
    state.carry += units
    state.updated_at = now


@dataclass(frozen=True)
class LedgerLine:
    """One ledger row with its customer and dimension named, for people and CSV."""

    id: int
    customer: str
    dimension: str
    hour: datetime
    quantity: Decimal
    status: str
    source: str
    attempts: int
    metering_record_id: str | None
    last_error: str | None
    note: str | None
    sent_at: datetime | None
    updated_at: datetime
    carried_from: str | None = None  # the hours whose late usage the row bills, space-separated


def query_ledger(
    session: Session,
    *,
    customer_id: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[LedgerLine]:
    """The audit trail, oldest hour first (the newest `limit` rows when given)."""
    query = (
        select(MeteringRecord, Customer.name, Dimension.key)
        .join(Customer, col(Customer.id) == MeteringRecord.customer_id)
        .join(Dimension, col(Dimension.id) == MeteringRecord.dimension_id)
        .order_by(col(MeteringRecord.hour).desc(), col(MeteringRecord.id).desc())
    )
    if customer_id is not None:
        query = query.where(MeteringRecord.customer_id == customer_id)
    if status is not None:
        query = query.where(MeteringRecord.status == LedgerStatus(status))
    if since is not None:
        query = query.where(col(MeteringRecord.hour) >= since)
    if limit is not None:
        query = query.limit(limit)
    lines = [_line(row, name, key) for row, name, key in session.exec(query).all()]
    return lines[::-1]


def _line(row: MeteringRecord, customer: str, dimension: str) -> LedgerLine:
    return LedgerLine(
        id=row.id or 0,
        customer=customer,
        dimension=dimension,
        hour=row.hour,
        quantity=row.quantity,
        status=row.status,
        source=row.source,
        attempts=row.attempts,
        metering_record_id=row.metering_record_id,
        last_error=row.last_error,
        note=row.note,
        sent_at=row.sent_at,
        updated_at=row.updated_at,
        carried_from=" ".join(row.carried_from) if row.carried_from else None,
    )
