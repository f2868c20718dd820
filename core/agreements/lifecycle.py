"""Lifecycle events acted on: the agreement re-read, the contract updated, a licence closed.

Each event is acted on once (its id is kept with the outcome, in the same transaction as
the contract change), whatever order or how often it arrives: the agreement is re-read
from AWS, so a late or repeated event never sets a contract back. An unsubscribe
(License Deprovisioned, or Agreement Ended as cancelled, expired or terminated: the
first of them) opens the final hour: the customer's unsent usage, the current hour
included, is accounted and sent at once (core.marketplace's due records and sender),
then the licence is closed: the customer is no longer metered, and whatever could not be
sent is marked on the ledger with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.agreements.client import AgreementClient
from core.agreements.events import ENDING, EventKind, LifecycleEvent
from core.agreements.final import flush_closing
from core.agreements.sync import AgreementsReport, apply_agreement
from core.agreements.terms import AgreementTerms
from core.db import session_scope
from core.marketplace.records import Sender
from core.models import Agreement, AgreementEvent
from core.notifier import Message, Severity
from core.periods import HOUR

UNSUBSCRIBED = {"CANCELLED", "EXPIRED", "TERMINATED"}  # not RENEWED / REPLACED: they go on
TITLES = {
    EventKind.CREATED: "AWS agreement created",
    EventKind.AMENDED: "AWS agreement amended",
    EventKind.ENDED: "AWS agreement ended",
    EventKind.LICENSE_UPDATED: "AWS licence updated",
    EventKind.LICENSE_DEPROVISIONED: "AWS licence deprovisioned",
}


@dataclass
class EventOutcome:
    summary: str
    message: Message | None = None  # to post once; None for a duplicate or ignored event
    lines: list[str] = field(default_factory=list)


def handle_event(
    engine: Engine,
    event: LifecycleEvent,
    *,
    agreements: AgreementClient,
    sender: Sender,
    now: datetime,
) -> EventOutcome:
    """Act on one event; raises ExternalServiceError (leave the message for a retry)."""
    if _seen(engine, event.event_id):
        return EventOutcome("duplicate: already acted on")
    if event.kind is None or event.agreement_id is None:
        outcome = EventOutcome(f"ignored: {event.detail_type!r} is not acted on")
        _record(engine, event, outcome.summary)
        return outcome
    terms = agreements.terms(agreements.describe(event.agreement_id))
    outcome = _apply(engine, event, terms, now=now)
    if outcome.message is not None:
        outcome.lines += flush_closing(engine, sender=sender, now=now)
        outcome.message = replace(outcome.message, lines=outcome.lines)
    return outcome


def _apply(
    engine: Engine, event: LifecycleEvent, terms: AgreementTerms, *, now: datetime
) -> EventOutcome:
    report = AgreementsReport(read=1)
    with session_scope(engine) as session:
        if _seen_in(session, event.event_id):
            return EventOutcome("duplicate: already acted on")
        mirror = apply_agreement(session, terms, report=report, now=now)
        ending = event.kind is EventKind.LICENSE_DEPROVISIONED or (
            event.kind in ENDING and terms.status in UNSUBSCRIBED
        )
        if ending and mirror.final_until is None:
            # The first of Ended / Deprovisioned opens AWS's hour for the last records.
            mirror.final_until = event.time + HOUR
            mirror.ends_at = min(mirror.ends_at or event.time, event.time)
        summary = _summary(mirror, terms, report)
        session.add(_event_row(event, summary))
    facts = [("Agreement", terms.agreement_id), ("Status", terms.status), ("Contract", summary)]
    lines = list(report.problems)  # differences are the sync's to report, not every event's
    title = TITLES[event.kind] if event.kind else event.detail_type
    severity = Severity.WARNING if report.problems or ending else Severity.INFO
    message = Message(
        title=title, summary=f"{_customer(report, terms)}", severity=severity, facts=facts
    )
    return EventOutcome(summary, message, lines)


def _summary(mirror: Agreement, terms: AgreementTerms, report: AgreementsReport) -> str:
    if report.problems:
        return "not applied: " + "; ".join(report.problems)
    ends = f" until {terms.ends_at:%Y-%m-%d %H:%M}Z" if terms.ends_at else ""
    closing = f"; final records until {mirror.final_until:%H:%M}Z" if mirror.final_until else ""
    return f"{terms.kind}{ends}{closing}"


def _customer(report: AgreementsReport, terms: AgreementTerms) -> str:
    labels = report.new + report.amended + report.ended
    return labels[0] if labels else f"AWS account {terms.account_id} ({terms.agreement_id})"


def _seen(engine: Engine, event_id: str) -> bool:
    with session_scope(engine) as session:
        return _seen_in(session, event_id)


def _seen_in(session: Session, event_id: str) -> bool:
    query = select(col(AgreementEvent.id)).where(AgreementEvent.event_id == event_id)
    return session.exec(query).first() is not None


def _record(engine: Engine, event: LifecycleEvent, outcome: str) -> None:
    with session_scope(engine) as session:
        if not _seen_in(session, event.event_id):
            session.add(_event_row(event, outcome))


def _event_row(event: LifecycleEvent, outcome: str) -> AgreementEvent:
    return AgreementEvent(
        event_id=event.event_id,
        detail_type=event.detail_type[:100],
        agreement_id=event.agreement_id,
        event_time=event.time,
        outcome=outcome[:500],
    )
