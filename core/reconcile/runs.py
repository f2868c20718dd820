"""Keeping reconciliation runs and their findings, and changing a finding's state.

Data functions: they add and flush; the caller commits. A finding found again keeps its
state (an explained difference stays explained); an open finding of the same month that
a later run no longer finds is cleared (CloudTrail caught up, an invoice was corrected).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import AuditEvent, FindingState, ReconcileFinding, ReconcileRun
from core.reconcile.findings import Finding
from core.reconcile.report import ReconcileReport


def keep_run(
    session: Session, report: ReconcileReport, *, actor: str, now: datetime
) -> ReconcileRun:
    """Store the run and its findings; `report.states` gets each finding's state."""
    run = ReconcileRun(
        month=report.month,
        actor=actor,
        started_at=now,
        ledger_rows=report.ledger_rows,
        logged_records=report.logged_records,
        agreements=report.agreements,
        found=len(report.findings),
        notes=list(report.notes),
    )
    session.add(run)
    session.flush()
    kept = {f.key: f for f in _by_keys(session, [f.key for f in report.findings])}
    rows = []
    for finding in report.findings:
        row = kept.get(finding.key) or _new_row(finding, report.month, run.id or 0)
        _refresh(row, finding, run.id or 0)
        session.add(row)
        rows.append(row)
        report.states[finding.key] = row.state
    _clear_gone(session, report, run.id or 0, now)
    session.flush()
    report.ids.update({row.key: row.id or 0 for row in rows})  # for the findings' buttons
    return run


def open_findings(session: Session, month: str | None = None) -> list[ReconcileFinding]:
    """Findings that need a person, oldest month first."""
    query = select(ReconcileFinding).where(ReconcileFinding.state == FindingState.OPEN)
    if month is not None:
        query = query.where(ReconcileFinding.month == month)
    order = (col(ReconcileFinding.month), col(ReconcileFinding.hour), col(ReconcileFinding.id))
    return list(session.exec(query.order_by(*order)).all())


def explain(
    session: Session, finding_id: int, *, actor: str, explanation: str, now: datetime
) -> ReconcileFinding:
    """A person says why the difference is fine: explained, audited."""
    if not explanation.strip():
        raise InvalidInput("say why the difference is fine (the explanation is empty)")
    row = session.get(ReconcileFinding, finding_id)
    if row is None:
        raise NotFound(f"no reconciliation finding {finding_id}")
    row.state, row.explanation = FindingState.EXPLAINED, explanation.strip()[:500]
    row.changed_by, row.changed_at = actor, now
    session.add(row)
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="reconcile.explain",
            subject=row.key[:255],
            detail={"explanation": row.explanation},
        )
    )
    session.flush()
    return row


def _by_keys(session: Session, keys: Sequence[str]) -> list[ReconcileFinding]:
    found: list[ReconcileFinding] = []
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found += session.exec(select(ReconcileFinding).where(col(ReconcileFinding.key).in_(chunk)))
    return found


def _new_row(finding: Finding, month: str, run_id: int) -> ReconcileFinding:
    return ReconcileFinding(
        key=finding.key, month=month, kind=finding.kind.value, customer=finding.customer,
        detail=finding.detail, first_run_id=run_id, last_run_id=run_id,
    )  # fmt: skip


def _refresh(row: ReconcileFinding, finding: Finding, run_id: int) -> None:
    row.customer, row.dimension, row.hour = finding.customer, finding.dimension, finding.hour
    row.expected, row.actual = finding.expected, finding.actual
    row.agreement_id, row.invoice_id = finding.agreement_id, finding.invoice_id
    row.currency, row.max_adjustment = finding.currency, finding.max_adjustment
    row.detail, row.last_run_id = finding.detail[:1000], run_id
    if row.state == FindingState.CLEARED:
        row.state = FindingState.OPEN  # found again


def _clear_gone(session: Session, report: ReconcileReport, run_id: int, now: datetime) -> None:
    for row in open_findings(session, report.month):
        if row.last_run_id != run_id:
            row.state, row.changed_by, row.changed_at = FindingState.CLEARED, "reconcile", now
            session.add(row)
