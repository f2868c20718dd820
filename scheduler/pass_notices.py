"""What a pass says in the channel: one rule per pass, whether it ran on schedule or
from the command line, so `meterbot ingest` from cron posts what the ingest job posts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from core.alerts.rules import evaluate_alerts
from core.ingest.report import IngestReport
from core.marketplace.report import SubmitReport
from core.notifier import Message

if TYPE_CHECKING:  # the Salesforce client is imported by the sync, not by every pass
    from core.salesforce.sync import SyncReport


def ingest_notices(report: IngestReport) -> list[Message]:
    """The pass's report when anything in it needs a look; a clean pass stays quiet."""
    needs_a_look = (
        report.failed or report.unreadable or report.rejected or report.reuploaded or report.late
    )
    return [report.message()] if needs_a_look else []


def submit_notices(report: SubmitReport) -> list[Message]:
    """Every pass that sent, moved or held back a record is posted; an idle one is not."""
    said = report.outcomes or report.moved or report.late or report.held
    return [report.message()] if said else []


def sync_notices(report: SyncReport) -> list[Message]:
    return [report.message()] if report.changed else []


def alert_notices(engine: Engine, now: datetime) -> list[Message]:
    """Alert rules newly crossed by the usage just ingested (each crossing said once)."""
    return evaluate_alerts(engine, now=now)
