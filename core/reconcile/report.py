"""The outcome of a reconciliation, as the CLI prints it and the channel reads it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace

from core.notifier import Action, Attachment, Message, Severity
from core.reconcile.findings import Finding, FindingKind
from core.reconcile.weekly import WeeklyMoney
from core.reports.charts import sent_vs_invoiced_chart

CSV_COLUMNS = [
    "kind", "state", "customer", "dimension", "hour", "expected", "actual", "agreement_id",
    "invoice_id", "currency", "detail",
]  # fmt: skip
SHOWN = 15  # findings listed in a message; the rest are counted
REFUND_ACTION = "meter_request_refund"  # button on an over-charged invoice; value: finding id


@dataclass
class ReconcileReport:
    month: str
    findings: list[Finding] = field(default_factory=list)
    ledger_rows: int = 0
    logged_records: int = 0
    agreements: int = 0
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why
    states: dict[str, str] = field(default_factory=dict)  # finding key -> state, once kept
    ids: dict[str, int] = field(default_factory=dict)  # finding key -> stored id, once kept
    weekly: WeeklyMoney | None = None  # sent vs invoiced per week, once invoices are checked

    @property
    def open(self) -> list[Finding]:
        """Findings that need a person (all of them until the run is kept)."""
        return [f for f in self.findings if self.states.get(f.key, "open") == "open"]

    def as_text(self) -> str:
        return self.message().as_text()

    def message(self) -> Message:
        facts = [
            ("Ledger rows", str(self.ledger_rows)),
            ("Records in CloudTrail", str(self.logged_records)),
            ("Agreements", str(self.agreements)),
        ]
        lines = [self._line(f) for f in self.findings[:SHOWN]]
        if len(self.findings) > SHOWN:
            lines.append(f"... and {len(self.findings) - SHOWN} more (meterbot reconcile --csv)")
        lines += self.notes
        if not self.findings:
            summary, severity = "the ledger agrees with what AWS received", Severity.SUCCESS
        elif not self.open:
            summary, severity = "every difference is explained", Severity.SUCCESS
        else:
            summary, severity = f"{len(self.open)} to look at", Severity.WARNING
        title = f"Reconciliation {self.month}"
        return Message(title, summary, severity, facts=facts, lines=lines, actions=self._refunds())

    def posted(self) -> Message:
        """The channel's message: `message()` with the weekly chart of sent vs invoiced
        (drawn here: call it off the event loop)."""
        message = self.message()
        if self.weekly is None or not self.weekly.weeks:
            return message
        weekly, title = self.weekly, f"Sent vs invoiced {self.month}"
        chart = sent_vs_invoiced_chart(
            weekly.sent, weekly.invoiced, currency=weekly.currency, title=f"{title} per week"
        )
        return replace(
            message, attachments=[Attachment(f"reconcile-{self.month}.png", chart, title)]
        )

    def _refunds(self) -> list[Action]:
        """A "Request refund" button per open, kept invoice finding AWS over-charged."""
        return [
            Action(f"Request refund: {f.agreement_id}", REFUND_ACTION, str(self.ids[f.key]),
                   admin_only=True)
            for f in self.open
            if f.kind is FindingKind.INVOICE and f.over_billed and f.key in self.ids
        ]  # fmt: skip

    def _line(self, finding: Finding) -> str:
        state = self.states.get(finding.key, "open")
        return finding.detail if state == "open" else f"({state}) {finding.detail}"

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for f in self.findings:
            hour = f"{f.hour:%Y-%m-%dT%H:%M:%SZ}" if f.hour else ""
            state = self.states.get(f.key, "open")
            cells = [f.kind.value, state, f.customer, f.dimension, hour, f.expected, f.actual]
            cells += [f.agreement_id, f.invoice_id, f.currency, f.detail]
            writer.writerow(["" if c is None else str(c) for c in cells])
        return out.getvalue()
