"""What a submission pass did, per record and in total, for the CLI and for Slack."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from core.formatting import quantity
from core.models import LedgerStatus
from core.notifier import RETRY_ACTION, Action, Message, Severity

DRY_RUN = "dry_run"  # the status a record shows in a dry run: it would be sent
RETRYABLE = {LedgerStatus.FAILED, LedgerStatus.SENT, LedgerStatus.NOT_SUBSCRIBED}
PROBLEMS = RETRYABLE | {LedgerStatus.DUPLICATE}
_SHOWN = 15
_VALUE_LIMIT = 1900  # Slack button values hold 2,000 characters


@dataclass(frozen=True)
class RecordOutcome:
    record_id: int
    customer: str
    dimension: str
    hour: datetime
    quantity: Decimal
    status: str
    error: str | None = None
    note: str | None = None
    unit: str = ""
    model: str = ""  # customer_identifier or license: how the customer is named to AWS

    def describe(self) -> str:
        text = f"#{self.record_id} {self.customer} {self.dimension} {self.hour:%Y-%m-%d %H:00}Z "
        text += f"{quantity(self.quantity)} {self.unit}".rstrip()
        text += (f" ({self.model})" if self.model else "") + f": {self.status}"
        for extra in (self.error, self.note):
            text += f" ({extra})" if extra else ""
        return text


@dataclass
class SubmitReport:
    dry_run: bool = False
    outcomes: list[RecordOutcome] = field(default_factory=list)
    created: int = 0
    heartbeats: int = 0
    calls: int = 0
    throttles: int = 0
    retries: int = 0
    seconds: float = 0.0
    late: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    held: int = 0  # due rows another pass still holds (its lease has not run out)
    held_until: datetime | None = None
    upcoming: list[str] = field(default_factory=list)  # a dry run: what period closes will send

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))

    @property
    def unsent(self) -> list[RecordOutcome]:
        """Records this pass tried and could not send: pending again, with the reason.
        (A manual entry queued for a later hour is pending too, but with no error.)"""
        return [o for o in self.outcomes if o.status == LedgerStatus.PENDING and o.error]

    @property
    def problems(self) -> list[RecordOutcome]:
        return [o for o in self.outcomes if o.status in PROBLEMS] + self.unsent

    @property
    def retry_ids(self) -> list[int]:
        return [o.record_id for o in self.outcomes if o.status in RETRYABLE]

    def message(self, *, every_record: bool = False, shown: int | None = _SHOWN) -> Message:
        """The notice; `every_record` lists each record (customer, dimension, hour,
        quantity with its unit, model, status), the first `shown` of them (None: all)."""
        title = "Marketplace dry run" if self.dry_run else "Marketplace submission"
        lines = self._lines()
        if every_record:
            listed = [o.describe() for o in self.outcomes[:shown]]
            if shown is not None and len(self.outcomes) > shown:
                listed.append(f"... and {len(self.outcomes) - shown} more (meterbot ledger)")
            lines = listed + [line for line in lines if line not in listed]
        return Message(
            title=title,
            summary=self._summary(),
            severity=self._severity(),
            facts=self._facts(),
            lines=lines,
            actions=self._actions(),
        )

    def as_text(self) -> str:
        return self.message().as_text()

    @property
    def held_text(self) -> str:
        """What a pass that stopped mid-send still holds, and when it goes out again."""
        if not self.held or self.held_until is None:
            return ""
        after = (self.held_until + timedelta(seconds=59)).replace(second=0, microsecond=0)
        return (
            f"{self.held} records held by a pass that stopped; resent identically after "
            f"{after:%H:%M} UTC"
        )

    def _summary(self) -> str:
        if not self.outcomes and self.held:
            return self.held_text
        if not self.outcomes:
            return "nothing was due" + ("; late usage found (below)" if self.late else "")
        counts = self.counts
        parts = [f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items())]
        if self.unsent:
            unsent = f"could not send {len(self.unsent)} of {len(self.outcomes)} records"
            return f"{unsent} (they stay pending for the next pass): " + ", ".join(parts)
        verb = "would send" if self.dry_run else "sent"
        return f"{verb} {len(self.outcomes)} records: " + ", ".join(parts)

    def _severity(self) -> Severity:
        statuses = set(self.counts)
        if statuses & {LedgerStatus.FAILED, LedgerStatus.DUPLICATE, LedgerStatus.SENT}:
            return Severity.ERROR
        if self.unsent:
            return Severity.ERROR
        if LedgerStatus.NOT_SUBSCRIBED in statuses or self.moved or self.late or self.held:
            return Severity.WARNING
        return Severity.INFO if self.dry_run else Severity.SUCCESS

    def _facts(self) -> list[tuple[str, str]]:
        facts = [(status.replace("_", " "), str(n)) for status, n in sorted(self.counts.items())]
        if not self.dry_run:
            facts += [("calls", str(self.calls)), ("throttled", str(self.throttles))]
        if self.heartbeats:
            facts.append(("zero records (heartbeat)", str(self.heartbeats)))
        return facts

    def _lines(self) -> list[str]:
        lines = [o.describe() for o in self.problems[:_SHOWN]]
        if len(self.problems) > _SHOWN:
            lines.append(f"... and {len(self.problems) - _SHOWN} more (meterbot ledger)")
        if self.held and self.outcomes:
            lines.append(self.held_text)
        lines += [f"moved: {line}" for line in self.moved[:_SHOWN]]
        lines += [f"late: {line}" for line in self.late[:_SHOWN]]
        queued = [o for o in self.outcomes if o.note and o.status == LedgerStatus.PENDING]
        lines += [o.describe() for o in queued[:_SHOWN]]
        return lines + self.upcoming

    def _actions(self) -> list[Action]:
        ids: list[str] = []
        for record_id in self.retry_ids:
            if len(",".join([*ids, str(record_id)])) > _VALUE_LIMIT:
                break
            ids.append(str(record_id))
        if not ids or self.dry_run:
            return []
        label = f"Retry {len(ids)} record{'s' if len(ids) > 1 else ''}"
        return [Action(label, RETRY_ACTION, ",".join(ids), style="danger", admin_only=True)]
