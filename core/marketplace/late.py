"""Late usage in a submission pass: where it may go, and how the pass says what it did.

Usage for an hour Marketplace still takes but that was already sent rides the next
record. Usage for an hour Marketplace no longer takes (older than 24 hours, or of a
month past its 06:00 UTC cut-off) is late: with METERBOT_LATE_USAGE=carry (the default)
it goes into the next open hour of the same month, never into a later month; with
`report`, or when its month has closed, it is not billed and the pass says so. Either
way it is written on `LateUsage`, for `/meter status` and `/meter usage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, or_, select

from core.formatting import quantity
from core.models import Customer, Dimension, LateOutcome, LateUsage
from core.periods import hour_list, month_floor

CARRY, REPORT = "carry", "report"


@dataclass(frozen=True)
class Placement:
    """Where late usage goes: carried on the next record, placed in a free hour of its
    own month (the next record being in a later month), or reported with the reason."""

    outcome: LateOutcome
    reason: str | None = None
    own_month: bool = False


def place(
    mode: str, *, usage_hour: datetime, next_record: datetime, earliest: datetime
) -> Placement:
    """Where usage of `usage_hour` goes, when the next record is stamped `next_record`
    and `earliest` is the oldest hour Marketplace still takes."""
    if mode == REPORT:
        return Placement(LateOutcome.REPORTED, "not billed: METERBOT_LATE_USAGE=report")
    month = month_floor(usage_hour)
    if month < month_floor(earliest):
        closed = f"{month:%B %Y} is closed for Marketplace (06:00 UTC on the 1st)"
        return Placement(LateOutcome.REPORTED, f"not billed: {closed}")
    if month < month_floor(next_record):
        return Placement(LateOutcome.CARRIED, own_month=True)
    return Placement(LateOutcome.CARRIED)


def found_late(session: Session) -> list[LateUsage]:
    """Late hours ingestion noted that no submission pass has accounted yet."""
    query = select(LateUsage).where(LateUsage.outcome == LateOutcome.FOUND)
    return list(session.exec(query.order_by(col(LateUsage.hour))).all())


def carried_unsent(session: Session) -> dict[tuple[int, int], list[LateUsage]]:
    """Carried late usage whose record is not written yet, per (customer, dimension)."""
    rows = session.exec(
        select(LateUsage).where(
            LateUsage.outcome == LateOutcome.CARRIED,
            LateUsage.into_hour == None,  # noqa: E711
        )
    ).all()
    grouped: dict[tuple[int, int], list[LateUsage]] = {}
    for row in rows:
        grouped.setdefault((row.customer_id, row.dimension_id), []).append(row)
    return grouped


def recent_late(session: Session, *, since: datetime) -> list[str]:
    """What became of late usage accounted since `since`, and what waits to be accounted."""
    rows = session.exec(
        select(LateUsage, Customer, Dimension)
        .join(Customer, col(Customer.id) == LateUsage.customer_id)
        .join(Dimension, col(Dimension.id) == LateUsage.dimension_id)
        .where(or_(LateUsage.outcome == LateOutcome.FOUND, col(LateUsage.accounted_at) >= since))
        .order_by(col(Customer.name), col(Dimension.key), col(LateUsage.hour))
    ).all()
    grouped: dict[tuple[int, int], tuple[Customer, Dimension, list[LateUsage]]] = {}
    for late, customer, dimension in rows:
        grouped.setdefault((late.customer_id, late.dimension_id), (customer, dimension, []))[
            2
        ].append(late)
    lines = []
    for customer, dimension, mine in grouped.values():
        lines += describe(customer, dimension, mine)
        found = [r.hour for r in mine if r.outcome == LateOutcome.FOUND]
        if found:
            lines.append(
                f"{customer.name} {dimension.key}: usage for {hour_list(found)} arrived after "
                "Marketplace's window; the next submission pass accounts it"
            )
    return lines


def describe(customer: Customer, dimension: Dimension, rows: list[LateUsage]) -> list[str]:
    """One line per outcome: how much, for whom, which hours, and where it went."""
    lines = []
    for outcome in (LateOutcome.CARRIED, LateOutcome.REPORTED):
        mine = [r for r in rows if r.outcome == outcome]
        if not mine:
            continue
        units = sum((r.units for r in mine), Decimal(0))
        amount = f"{quantity(units, grouped=True)} {dimension.unit}".rstrip()
        text = (
            f"{customer.name} {dimension.key}: {amount} for {hour_list([r.hour for r in mine])}, "
            "older than Marketplace takes: "
        )
        if outcome == LateOutcome.REPORTED:
            lines.append(text + (mine[0].reason or "not billed"))
            continue
        into = sorted({r.into_hour for r in mine if r.into_hour})
        where = f"the {into[0]:%Y-%m-%d %H:00}Z record" if into else "the next record"
        billable = sum((r.billable for r in mine), Decimal(0))
        lines.append(text + f"carried into {where} ({quantity(billable, grouped=True)} billable)")
    return lines
