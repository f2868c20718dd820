"""Everything that needs a person, line by line: what `meterbot problems` lists.

`/meter status` counts problems; this says which: each quarantined line with its
object, line number, reason and text; each usage id no customer has yet; each object
that could not be read; each record Marketplace has not taken. Rows are plain data,
so the table and the CSV are two renderings of one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, or_, select

from core.formatting import quantity
from core.models import (
    Customer,
    Dimension,
    IngestedObject,
    LedgerStatus,
    MeteringRecord,
    QuarantinedLine,
    UnmatchedUsage,
)
from core.models.ingest import ObjectStatus

# Statuses of records that were not billed, or whose outcome is not known yet.
UNSENT = (
    LedgerStatus.FAILED,
    LedgerStatus.SENT,
    LedgerStatus.NOT_SUBSCRIBED,
    LedgerStatus.DUPLICATE,
)
COLUMNS = ["kind", "object", "line", "reason", "text", "count"]


@dataclass(frozen=True)
class Problem:
    """One row: `kind` is quarantined, unmatched, object or record."""

    kind: str
    where: str  # the object's key, the usage id, or the record (#id customer dimension hour)
    reason: str
    text: str = ""  # the raw line, the error, the quantity
    line: int | None = None
    count: int = 1

    def cells(self) -> list[str]:
        line = "" if self.line is None else str(self.line)
        return [self.kind, self.where, line, self.reason, self.text, str(self.count)]


def list_problems(session: Session, *, object_key: str | None = None) -> list[Problem]:
    """Every problem waiting, or only those of one object (by key, or its last part)."""
    found = quarantined(session, object_key) + unreadable(session, object_key)
    if object_key is None:
        found += unmatched(session) + unsent(session)
    return found


def quarantined(session: Session, object_key: str | None = None) -> list[Problem]:
    query = (
        select(IngestedObject.key, QuarantinedLine)
        .join(QuarantinedLine, col(QuarantinedLine.object_id) == col(IngestedObject.id))
        .order_by(col(IngestedObject.key), col(QuarantinedLine.line_no))
    )
    rows = session.exec(query.where(*_of_object(object_key))).all()
    found = [Problem("quarantined", key, q.reason, q.raw, q.line_no) for key, q in rows]
    return found + _not_stored(session, object_key, stored=len(rows))


def _not_stored(session: Session, object_key: str | None, *, stored: int) -> list[Problem]:
    """Lines counted but not kept (past the per-object cap): said, never left out silently."""
    query = select(func.coalesce(func.sum(IngestedObject.rejected), 0))
    query = query.where(col(IngestedObject.status) == ObjectStatus.DONE)
    counted = int(session.exec(query.where(*_of_object(object_key))).one())
    extra = counted - stored
    if extra <= 0:
        return []
    note = "counted, their text not kept (each object keeps its first lines)"
    return [Problem("quarantined", object_key or "(all objects)", "not_stored", note, None, extra)]


def unreadable(session: Session, object_key: str | None = None) -> list[Problem]:
    """Objects whose last attempt failed (or that were parked), with the error."""
    query = select(IngestedObject).where(
        col(IngestedObject.error).is_not(None), col(IngestedObject.status) != ObjectStatus.DONE
    )
    query = query.where(*_of_object(object_key)).order_by(col(IngestedObject.key))
    rows = session.exec(query).all()
    return [Problem("object", o.key, o.status, o.error or "", None, o.attempts) for o in rows]


def unmatched(session: Session) -> list[Problem]:
    """Usage ids no customer has yet, with their records and hours (kept until mapped)."""
    query = (
        select(UnmatchedUsage.usage_id, func.sum(UnmatchedUsage.count), func.count())
        .where(col(UnmatchedUsage.resolved_customer_id).is_(None))
        .group_by(col(UnmatchedUsage.usage_id))
        .order_by(col(UnmatchedUsage.usage_id))
    )
    return [
        Problem("unmatched", usage_id, "unknown_usage_id", f"{int(hours)} hours", None, int(n))
        for usage_id, n, hours in session.exec(query).all()
    ]


def unsent(session: Session) -> list[Problem]:
    """Records Marketplace did not take, or whose outcome is not known yet."""
    query = (
        select(MeteringRecord, Customer.name, Dimension.key)
        .join(Customer, col(Customer.id) == col(MeteringRecord.customer_id))
        .join(Dimension, col(Dimension.id) == col(MeteringRecord.dimension_id))
        .where(
            or_(
                col(MeteringRecord.status).in_(UNSENT),
                (col(MeteringRecord.status) == LedgerStatus.PENDING)
                & col(MeteringRecord.last_error).is_not(None),
            )
        )
        .order_by(col(MeteringRecord.hour), col(MeteringRecord.id))
    )
    return [_record(r, name, key) for r, name, key in session.exec(query).all()]


def _record(record: MeteringRecord, customer: str, dimension: str) -> Problem:
    where = f"#{record.id} {customer} {dimension} {record.hour:%Y-%m-%d %H:00}Z"
    amount = f"quantity {quantity(Decimal(record.quantity))}"
    detail = "; ".join(t for t in (amount, record.last_error) if t)
    return Problem("record", where, record.status, detail, None, 1)


def _of_object(object_key: str | None) -> list[ColumnElement[bool]]:
    """The filter for one object: its whole key, or the last part of it (a file name)."""
    if object_key is None:
        return []
    key = col(IngestedObject.key)
    return [or_(key == object_key, key.endswith("/" + object_key))]
