"""What an ingestion pass did, for the CLI, the channel and /meter status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.ingest.failures import PARK_AFTER
from core.ingest.read.records import REASONS
from core.notifier import Message, Severity

if TYPE_CHECKING:
    from core.ingest.late import LateFound

SHOWN = 10  # unmatched ids, failures, re-uploads and late pairs listed by name


@dataclass
class IngestReport:
    source: str
    objects: int = 0  # objects counted in this pass
    records: int = 0  # records counted (for known customers and unmatched alike)
    bytes: int = 0
    rejected: int = 0  # lines quarantined
    unmatched: int = 0  # records under ids no customer has yet
    seconds: float = 0.0
    resolved: int = 0  # earlier unmatched records moved to their customer in this pass
    in_progress: int = 0  # objects another worker holds
    pausing: int = 0  # failed objects waiting out their pause before the next try
    full_listing: bool = False  # the source is not date-partitioned: listed in full
    reasons: Counter[str] = field(default_factory=Counter)
    unmatched_ids: Counter[str] = field(default_factory=Counter)
    rejected_objects: Counter[str] = field(default_factory=Counter)  # key -> lines quarantined
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, error)
    # Parked in this pass: the same error again and again (reported once, not retried).
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (key, error)
    reuploaded: list[str] = field(default_factory=list)
    late: LateFound | None = None  # set by a pass that reads objects
    late_lines: list[str] = field(default_factory=list)  # the first SHOWN pairs, named at the end

    @property
    def severity(self) -> Severity:
        if self.failed or self.unreadable:
            return Severity.ERROR
        if self.rejected or self.unmatched or self.reuploaded or self.late:
            return Severity.WARNING
        return Severity.SUCCESS

    def summary(self) -> str:
        megabytes = self.bytes / 1e6
        rate = f" ({megabytes / self.seconds:,.0f} MB/s)" if self.seconds >= 0.5 else ""
        return (
            f"{self.objects:,} objects, {self.records:,} records, {megabytes:,.1f} MB, "
            f"{self.rejected:,} rejected, {self.unmatched:,} unmatched, "
            f"{self.seconds:,.1f} s{rate}"
        )

    def message(self) -> Message:
        facts = [
            ("Objects", f"{self.objects:,}"),
            ("Records", f"{self.records:,}"),
            ("Rejected", f"{self.rejected:,}"),
            ("Unmatched", f"{self.unmatched:,}"),
        ]
        if self.late:
            facts.append(("Late usage", f"{self.late.hours:,} hours Marketplace no longer takes"))
        if self.failed:
            facts.append(("Failed objects", f"{len(self.failed):,} (retried next pass)"))
        if self.unreadable:
            facts.append(("Unreadable objects", f"{len(self.unreadable):,} (parked, not retried)"))
        return Message(
            title="Usage ingestion",
            summary=self.summary(),
            severity=self.severity,
            facts=facts,
            lines=self._lines(),
        )

    def as_text(self) -> str:
        return self.message().as_text()

    def _lines(self) -> list[str]:
        lines = [f"source: {self.source}"]
        ordered = sorted(self.reasons, key=lambda r: REASONS.index(r) if r in REASONS else 99)
        lines += [f"quarantined, {reason}: {self.reasons[reason]:,}" for reason in ordered]
        lines += [
            f"rejects in {key}: {count:,} lines (meterbot problems --object {key})"
            for key, count in self.rejected_objects.most_common(SHOWN)
        ]
        for usage_id, count in self.unmatched_ids.most_common(SHOWN):
            lines.append(f"unmatched usage id {usage_id}: {count:,} records (kept until mapped)")
        lines += [f"failed {key}: {error}" for key, error in self.failed[:SHOWN]]
        lines += [
            f"unreadable, parked after {PARK_AFTER} failures: {key}: {error} "
            f"(after a fix: meterbot ingest --retry {key})"
            for key, error in self.unreadable[:SHOWN]
        ]
        lines += [f"re-uploaded, not counted again: {key}" for key in self.reuploaded[:SHOWN]]
        lines += self.late_lines
        if self.late and self.late.pairs > len(self.late_lines):
            more = self.late.pairs - len(self.late_lines)
            lines.append(f"... and late usage of {more:,} more pairs")
        if self.resolved:
            lines.append(f"{self.resolved:,} earlier unmatched records moved to their customers")
        if self.pausing:
            lines.append(f"{self.pausing:,} failed objects wait a few minutes before a retry")
        if self.in_progress:
            lines.append(f"{self.in_progress:,} objects being ingested by another worker")
        if self.full_listing:
            lines.append("the source is not partitioned by day, so it was listed in full")
        return lines
