"""What a shared usage file would send: totals, estimates, hours that move, and problems.

Each (customer, dimension, hour) total is checked as a hand-entered quantity is (an
active contract, a dimension of its plan, whole units, plausible size), and its hour
against the ledger and Marketplace's window (quantities are the usage record's, so a
dimension's `unit_scale` applies, as in ingestion): an hour already sent goes to a later
hour, one older than 24 hours is carried into the current hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from core.billing.invoices import estimate_charge
from core.customers.lookup import contract_at
from core.errors import MeterbotError
from core.marketplace.window import earliest_open_hour
from core.models import Customer, Dimension, MeteringRecord, Plan
from core.uploads.file import UploadReading, UploadRow
from core.usage.manual_entry import FormDimension, check_quantity, form_for_customer

LATER = "already sent: goes into the next free hour"
CARRIED = "older than 24 hours: carried into the current hour"


@dataclass(frozen=True)
class PairTotal:
    customer: str
    dimension: str
    unit: str
    lines: int
    total: Decimal
    charge: Decimal | None  # None when the plan cannot price it
    currency: str


@dataclass(frozen=True)
class HourNote:
    customer: str
    dimension: str
    hour: datetime
    note: str


@dataclass
class UploadSummary:
    totals: list[PairTotal] = field(default_factory=list)
    moved: list[HourNote] = field(default_factory=list)  # later hour, or carried
    problems: list[HourNote] = field(default_factory=list)  # not sent, with why
    entries: list[UploadRow] = field(default_factory=list)  # what Confirm send sends


def summarise(session: Session, reading: UploadReading, *, now: datetime) -> UploadSummary:
    summary = UploadSummary()
    sent = _taken_hours(session, reading.rows)
    for (customer_id, dimension_id), rows in by_pair(reading.rows).items():
        customer = session.get(Customer, customer_id)
        assert customer is not None  # mapped from its usage ids just now
        dims = _dimensions(session, customer, now)
        rows = _in_units(session, dimension_id, rows)
        good = _checked(customer.name, dims.get(dimension_id), rows, summary)
        if not good:
            continue
        dim = dims[dimension_id]
        summary.entries += good
        summary.moved += _moved(customer.name, dim.name, good, sent, now)
        summary.totals.append(pair_total(session, customer.name, dim.name, dim.unit, good, now))
    return summary


def _in_units(session: Session, dimension_id: int, rows: list[UploadRow]) -> list[UploadRow]:
    """Record quantities in the dimension's billed units (GB records of a TB dimension)."""
    dimension = session.get(Dimension, dimension_id)
    scale = dimension.unit_scale if dimension is not None else Decimal(1)
    if scale == 1:
        return rows
    return [replace(r, quantity=(r.quantity * scale).normalize()) for r in rows]


def by_pair(rows: list[UploadRow]) -> dict[tuple[int, int], list[UploadRow]]:
    """Rows by (customer id, dimension id), each pair's hours in order."""
    pairs: dict[tuple[int, int], list[UploadRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.customer_id, r.dimension_id, r.hour)):
        pairs[(row.customer_id, row.dimension_id)].append(row)
    return pairs


def pair_total(
    session: Session, customer: str, dimension: str, unit: str, rows: list[UploadRow], now: datetime
) -> PairTotal:
    """One customer and dimension's lines, total and estimated extra charge this month."""
    first = rows[0]
    total = sum((r.quantity for r in rows), Decimal(0))
    return PairTotal(
        customer,
        dimension,
        unit,
        sum(r.lines for r in rows),
        total,
        _estimate(session, first.customer_id, first.dimension_id, total, now),
        _currency(session, first.customer_id, now),
    )


def _dimensions(session: Session, customer: Customer, now: datetime) -> dict[int, FormDimension]:
    try:
        form = form_for_customer(session, customer=customer, now=now)
    except MeterbotError:
        return {}
    return {d.id: d for d in form.dimensions}


def _checked(
    customer: str, dim: FormDimension | None, rows: list[UploadRow], summary: UploadSummary
) -> list[UploadRow]:
    """The rows whose totals may be sent; the others go to `summary.problems`."""
    good = []
    for row in rows:
        result = check_quantity(format(row.quantity, "f"), dim)
        if isinstance(result, str):
            name = dim.name if dim else f"dimension #{row.dimension_id}"
            if dim is None:
                result = f"{customer} has no active contract whose plan has this dimension"
            summary.problems.append(HourNote(customer, name, row.hour, result))
        elif result is not None:
            good.append(row)
    return good


def _moved(
    customer: str,
    dimension: str,
    rows: list[UploadRow],
    sent: set[tuple[int, int, datetime]],
    now: datetime,
) -> list[HourNote]:
    """The hours that cannot be sent as they are, and where they go instead."""
    notes = []
    for r in rows:
        if (r.customer_id, r.dimension_id, r.hour) in sent:
            notes.append(HourNote(customer, dimension, r.hour, LATER))
        elif r.hour < earliest_open_hour(now):
            notes.append(HourNote(customer, dimension, r.hour, CARRIED))
    return notes


def _taken_hours(session: Session, rows: list[UploadRow]) -> set[tuple[int, int, datetime]]:
    """(customer, dimension, hour) of the file that already have a ledger row."""
    if not rows:
        return set()
    hours = {r.hour for r in rows}
    found = session.exec(
        select(MeteringRecord.customer_id, MeteringRecord.dimension_id, MeteringRecord.hour)
        .where(col(MeteringRecord.hour) >= min(hours))
        .where(col(MeteringRecord.hour) <= max(hours))
    ).all()
    return {(c, d, h) for c, d, h in found}


def _estimate(
    session: Session, customer_id: int, dimension_id: int, total: Decimal, now: datetime
) -> Decimal | None:
    try:
        return estimate_charge(
            session, customer_id=customer_id, dimension_id=dimension_id, quantity=total, at=now
        )
    except MeterbotError:
        return None


def _currency(session: Session, customer_id: int, now: datetime) -> str:
    contract = contract_at(session, customer_id=customer_id, at=now)
    plan = session.get(Plan, contract.plan_id) if contract else None
    return plan.currency if plan else "USD"


def rows_from_json(entries: list[dict[str, Any]]) -> list[UploadRow]:
    return [
        UploadRow(
            e["customer_id"],
            e["dimension_id"],
            datetime.fromisoformat(e["hour"]),
            Decimal(e["quantity"]),
            e.get("lines", 1),
        )
        for e in entries
    ]


def entries_json(rows: list[UploadRow]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": r.customer_id,
            "dimension_id": r.dimension_id,
            "hour": r.hour.isoformat(),
            "quantity": format(r.quantity, "f"),
            "lines": r.lines,
        }
        for r in rows
    ]
