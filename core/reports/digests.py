"""Daily and weekly digests: usage against the previous period, revenue, sends, problems.

A digest covers the last complete UTC day (or Monday-to-Sunday week) and compares it
with the one before. Revenue is the month-to-date estimate from the invoices (drafts
for the running month), so the number matches what `/meter invoice` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlmodel import Session, col, func, select

from core.billing.invoices import build_invoice
from core.customers.lookup import contract_at
from core.errors import InvalidInput
from core.formatting import coded, figure
from core.models import (
    Customer,
    Dimension,
    HourlyRollup,
    LedgerStatus,
    MeteringRecord,
    QuarantinedLine,
)
from core.notifier import Attachment, Message, Severity
from core.periods import HOUR, Period, day_floor, month_label, month_of
from core.reports.charts import usage_chart
from core.usage.combine import combined
from core.usage.rollups import aggregate, hour_value, in_units, usage_for_all

DigestKind = Literal["day", "week"]
ZERO = Decimal(0)
TOP = 5
_DELIVERED = (LedgerStatus.ACCEPTED, LedgerStatus.DUPLICATE, LedgerStatus.SENT)
_REFUSED = (LedgerStatus.FAILED, LedgerStatus.NOT_SUBSCRIBED)


@dataclass(frozen=True)
class DimensionChange:
    key: str
    name: str
    unit: str
    current: Decimal
    previous: Decimal

    @property
    def change(self) -> str:
        if self.previous == 0:
            return "new" if self.current else "no usage"
        percent = (self.current - self.previous) / self.previous * 100
        return f"{percent:+.0f}%"


@dataclass(frozen=True)
class Digest:
    kind: DigestKind
    period: Period
    previous: Period
    dimensions: list[DimensionChange]
    revenue_month: str
    revenue: dict[str, Decimal]  # currency -> month-to-date estimate
    top_customers: list[tuple[str, Decimal, str]]  # name, month-to-date amount, currency
    sent: int
    failed: int
    pending: int
    quarantined: list[tuple[str, int]]  # reason -> lines, in the period
    chart: bytes


def digest_periods(kind: DigestKind, now: datetime) -> tuple[Period, Period]:
    """The last complete day or Monday-to-Sunday week before `now`, and the one before it."""
    if kind not in ("day", "week"):
        raise InvalidInput(f"a digest is for a 'day' or a 'week', not {kind!r}")
    length = timedelta(days=1 if kind == "day" else 7)
    end = day_floor(now)
    if kind == "week":
        end -= timedelta(days=end.weekday())
    return Period(end - length, end), Period(end - 2 * length, end - length)


def build_digest(session: Session, *, period: DigestKind, now: datetime) -> Digest:
    current, previous = digest_periods(period, now)
    dimensions = {d.id: d for d in session.exec(select(Dimension))}
    revenue_month = month_of(current.end - HOUR)
    revenue, top = _revenue(session, revenue_month, now)
    sent, failed, pending = _ledger_counts(session, current)
    return Digest(
        kind=period,
        period=current,
        previous=previous,
        dimensions=_changes(session, dimensions, current, previous),
        revenue_month=month_label(revenue_month),
        revenue=revenue,
        top_customers=top,
        sent=sent,
        failed=failed,
        pending=pending,
        quarantined=_quarantined(session, current),
        chart=_chart(session, dimensions, Period(previous.start, current.end), period),
    )


def _totals(
    session: Session, dimensions: dict[int | None, Dimension], period: Period
) -> dict[int, Decimal]:
    """dimension id -> the period's quantity as billed, summed over customers, in units."""
    totals: dict[int, Decimal] = {}
    for (_customer, dim_id), usage in usage_for_all(session, period=period).items():
        dim = dimensions[dim_id]
        value = in_units(aggregate(usage, dim.aggregation), dim)
        totals[dim_id] = totals.get(dim_id, ZERO) + value
    return totals


def _changes(
    session: Session, dimensions: dict[int | None, Dimension], current: Period, previous: Period
) -> list[DimensionChange]:
    now_totals = _totals(session, dimensions, current)
    before = _totals(session, dimensions, previous)
    changes = [
        DimensionChange(
            dim.key, dim.name, dim.unit, now_totals.get(dim_id, ZERO), before.get(dim_id, ZERO)
        )
        for dim_id, dim in dimensions.items()
        if dim_id in now_totals or dim_id in before
    ]
    return sorted(changes, key=lambda c: c.key)


def _revenue(
    session: Session, month: Period, now: datetime
) -> tuple[dict[str, Decimal], list[tuple[str, Decimal, str]]]:
    revenue: dict[str, Decimal] = {}
    amounts: list[tuple[str, Decimal, str]] = []
    for customer in session.exec(select(Customer).order_by(col(Customer.name))):
        if customer.id is None:
            continue
        if contract_at(session, customer_id=customer.id, at=month) is None:
            continue
        doc = build_invoice(session, customer_id=customer.id, period=month, now=now)
        revenue[doc.currency] = revenue.get(doc.currency, ZERO) + doc.total
        amounts.append((customer.name, doc.total, doc.currency))
    top = sorted(amounts, key=lambda a: a[1], reverse=True)[:TOP]
    return revenue, top


def _ledger_counts(session: Session, period: Period) -> tuple[int, int, int]:
    def count(*conditions: object) -> int:
        query = select(func.count()).select_from(MeteringRecord)
        for condition in conditions:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(session.exec(query).one())

    status = col(MeteringRecord.status)
    sent_at, updated_at = col(MeteringRecord.sent_at), col(MeteringRecord.updated_at)
    sent = count(status.in_(_DELIVERED), sent_at >= period.start, sent_at < period.end)
    failed = count(status.in_(_REFUSED), updated_at >= period.start, updated_at < period.end)
    pending = count(status == LedgerStatus.PENDING)
    return sent, failed, pending


def _quarantined(session: Session, period: Period) -> list[tuple[str, int]]:
    created = col(QuarantinedLine.created_at)
    query = (
        select(QuarantinedLine.reason, func.count())
        .where(created >= period.start, created < period.end)
        .group_by(col(QuarantinedLine.reason))
        .order_by(func.count().desc())
    )
    return [(reason, int(n)) for reason, n in session.exec(query)]


def _chart(
    session: Session, dimensions: dict[int | None, Dimension], span: Period, kind: DigestKind
) -> bytes:
    """Both periods, hourly for a daily digest and daily for a weekly one, all customers."""
    step = HOUR if kind == "day" else timedelta(days=1)
    buckets = [span.start + i * step for i in range(int((span.end - span.start) / step))]
    series: dict[str, dict[datetime, Decimal]] = {}
    hour = col(HourlyRollup.hour)
    rows = session.exec(select(HourlyRollup).where(hour >= span.start, hour < span.end)).all()
    for row in combined(session, rows):  # a gauge over several clusters adds up
        dim = dimensions[row.dimension_id]
        bucket = span.start + (row.hour - span.start) // step * step
        points = series.setdefault(dim.key, {})
        value = in_units(hour_value(row, dim.aggregation), dim)
        points[bucket] = points.get(bucket, ZERO) + value / _hours_per(step, dim.aggregation)
    units = {d.key: d.unit for d in dimensions.values()}
    filled = {key: [(b, pts.get(b, ZERO)) for b in buckets] for key, pts in sorted(series.items())}
    title = f"Usage, {span.start:%Y-%m-%d} to {(span.end - HOUR):%Y-%m-%d} (UTC)"
    return usage_chart(filled, title=title, units=units)


def _hours_per(step: timedelta, aggregation: str) -> int:
    """A gauge's daily point is the mean of its hours; a counter's is their sum."""
    return int(step / HOUR) if aggregation in ("avg", "last", "peak") else 1


def digest_message(digest: Digest) -> Message:
    """The digest for the channel, with the chart as a PNG attachment."""
    label = _label(digest)
    lines = [
        f"{c.name} ({c.key}): {figure(c.current)} {c.unit}, {c.change} vs {figure(c.previous)}"
        for c in digest.dimensions
    ] or ["No usage in either period."]
    lines += [
        f"Top {i}. {name}: {coded(amount, currency)}"
        for i, (name, amount, currency) in enumerate(digest.top_customers, start=1)
    ]
    lines += [f"Quarantined ({reason}): {n} lines" for reason, n in digest.quarantined]
    revenue = ", ".join(coded(amt, cur) for cur, amt in sorted(digest.revenue.items()))
    problems = digest.failed or digest.quarantined
    return Message(
        title=f"{'Daily' if digest.kind == 'day' else 'Weekly'} digest: {label}",
        summary=f"{len(digest.dimensions)} dimensions, {digest.sent} records sent, "
        f"{digest.failed} failed",
        severity=Severity.WARNING if problems else Severity.INFO,
        facts=[
            (f"Estimated revenue {digest.revenue_month} so far", revenue or "none"),
            (
                "Records sent / failed / pending",
                f"{digest.sent} / {digest.failed} / {digest.pending}",
            ),
            ("Quarantined lines", str(sum(n for _, n in digest.quarantined))),
        ],
        lines=lines,
        attachments=[
            Attachment(
                filename=f"digest-{digest.kind}-{digest.period.start:%Y-%m-%d}.png",
                content=digest.chart,
                title=f"Usage, {label} and the {digest.kind} before",
            )
        ],
    )


def _label(digest: Digest) -> str:
    if digest.kind == "day":
        return f"{digest.period.start:%a %Y-%m-%d}"
    return f"week of {digest.period.start:%Y-%m-%d}"
