"""Matching the ledger with what CloudTrail logged, record by record (pure functions).

A logged record belongs to a ledger row by its MeteringRecordId; one without a known id
belongs to the row of its (customer, dimension, hour), the customer found by either of
its AWS ids so a customer billed under both identity models is one customer. What is
left over is a difference: a row AWS has no trace of, a record billed by another sender,
an hour billed twice, or a quantity or status that differs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.models import LedgerStatus
from core.reconcile.findings import Finding, FindingKind, record_key
from core.reconcile.trail import Received

SUCCESS = "Success"
# The ledger's statuses that record an answer from AWS, as AWS words it.
ANSWERS = {
    LedgerStatus.ACCEPTED: SUCCESS,
    LedgerStatus.DUPLICATE: "DuplicateRecord",
    LedgerStatus.NOT_SUBSCRIBED: "CustomerNotSubscribed",
}


@dataclass(frozen=True)
class Sent:
    """A ledger row handed to Marketplace."""

    ledger_id: int
    customer_key: str
    customer: str
    dimension: str  # the Marketplace dimension key it went under
    hour: datetime
    quantity: Decimal
    status: str
    metering_record_id: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class Logged:
    """The moments CloudTrail can vouch for: older calls are gone, newer not yet logged."""

    since: datetime
    until: datetime

    def covers(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment <= self.until


Customers = Mapping[str, tuple[str, str]]  # an AWS customer id -> (customer key, name)


def match_records(
    sent: Sequence[Sent], received: Sequence[Received], customers: Customers, logged: Logged
) -> list[Finding]:
    """Every difference between the ledger rows and the logged records of one period."""
    ours = {s.metering_record_id: s for s in sent if s.metering_record_id}
    logs: dict[int, list[Received]] = defaultdict(list)
    loose: list[Received] = []
    for record in received:
        row = ours.get(record.metering_record_id or "")
        (logs[row.ledger_id] if row else loose).append(record)
    findings = _leftovers(sent, loose, logs, customers)
    for row in sent:
        findings += _compare(row, logs.get(row.ledger_id, []), logged)
    return sorted(findings, key=lambda f: (f.hour or logged.since, f.customer, f.dimension, f.kind))


def _leftovers(
    sent: Sequence[Sent],
    loose: list[Received],
    logs: dict[int, list[Received]],
    customers: Customers,
) -> list[Finding]:
    """Records no ledger row claims by id: another row's hour, or someone else's send."""
    by_identity = {(s.customer_key, s.dimension, s.hour): s for s in sent}
    findings = []
    for record in loose:
        key, name = customers.get(record.customer_ref, (record.customer_ref, record.customer_ref))
        row = by_identity.get((key, record.dimension, record.hour))
        if row is not None and not _billed(row, logs):
            logs[row.ledger_id].append(record)  # the ledger lacks its id: same hour, ours
        elif record.status == SUCCESS:
            findings.append(_extra(record, name, row))
    return findings


def _billed(row: Sent, logs: dict[int, list[Received]]) -> bool:
    return any(r.status == SUCCESS for r in logs.get(row.ledger_id, []))


def _extra(record: Received, name: str, row: Sent | None) -> Finding:
    where = f"{name} {record.dimension} {record.hour:%Y-%m-%d %H:00}"
    by = f"{record.username or 'unknown'}, {record.metering_record_id or 'no id'}"
    if row is None:
        kind = FindingKind.NOT_ON_LEDGER
        detail = f"{where}: AWS billed {record.quantity} ({by}) that meterbot never sent"
    else:
        kind = FindingKind.DOUBLE_BILLED
        detail = (
            f"{where}: billed twice: meterbot's {row.quantity} ({row.metering_record_id}) "
            f"and {record.quantity} ({by})"
        )
    return Finding(
        kind=kind,
        key=record_key(kind, name, record.dimension, record.hour),
        customer=name,
        detail=detail,
        dimension=record.dimension,
        hour=record.hour,
        expected=row.quantity if row else Decimal(0),
        actual=record.quantity,
    )


def _compare(row: Sent, records: list[Received], logged: Logged) -> list[Finding]:
    where = f"{row.customer} {row.dimension} {row.hour:%Y-%m-%d %H:00}"
    if not records:
        if row.status not in ANSWERS or not logged.covers(row.sent_at):
            return []  # never answered, or sent where CloudTrail cannot vouch
        answered = f"{row.status} ({row.metering_record_id})"
        detail = f"{where}: the ledger has it {answered}, CloudTrail has no such record"
        return [_finding(FindingKind.MISSING, row, detail, None)]
    last = max(records, key=lambda r: r.sent_at)
    findings = []
    if last.quantity is None or last.quantity != row.quantity:
        detail = f"{where}: the ledger says {row.quantity}, AWS logged {last.quantity}"
        findings.append(_finding(FindingKind.QUANTITY, row, detail, last.quantity))
    if ANSWERS.get(LedgerStatus(row.status)) != last.status:
        detail = f"{where}: the ledger says {row.status}, AWS answered {last.status}"
        findings.append(_finding(FindingKind.STATUS, row, detail, last.quantity))
    return findings


def _finding(kind: FindingKind, row: Sent, detail: str, actual: Decimal | None) -> Finding:
    return Finding(
        kind=kind,
        key=record_key(kind, row.customer, row.dimension, row.hour),
        customer=row.customer,
        detail=detail,
        dimension=row.dimension,
        hour=row.hour,
        expected=row.quantity,
        actual=actual,
    )
