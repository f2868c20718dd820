"""What goes to Marketplace and what comes back: records, outcomes and batches.

Shared by the real client (`core.marketplace.client`), the dry run and the ledger
side (`core.marketplace.sending`); no boto3 here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from core.models import MarketplaceModel

BATCH_SIZE = 25


class Outcome(StrEnum):
    SUCCESS = "Success"
    NOT_SUBSCRIBED = "CustomerNotSubscribed"
    DUPLICATE = "DuplicateRecord"
    NOT_PROCESSED = "not_processed"  # certainly not billed (throttled out, unprocessed)
    UNKNOWN = "unknown"  # may have been billed (5xx, connection cut): resend identically
    OUT_OF_WINDOW = "out_of_window"  # the call was refused for a stale timestamp
    CONFIG = "config_error"  # refused for configuration; the product is held
    HELD = "held"  # not attempted: its product hit a configuration error in this pass
    DRY_RUN = "dry_run"


@dataclass(frozen=True)
class OutgoingRecord:
    """One usage record, exactly as it goes on the wire; `ref` is the ledger row id."""

    ref: int
    model: str
    scope: str  # ProductCode (customer_identifier model) or LicenseArn (licence model)
    batch_key: str  # the product: one call never spans two
    customer: str  # CustomerIdentifier or CustomerAWSAccountId
    dimension: str
    hour: datetime
    quantity: str  # QuantityAsDecimal

    def wire(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "Timestamp": self.hour,
            "Dimension": self.dimension,
            "QuantityAsDecimal": self.quantity,
        }
        if self.model == MarketplaceModel.LICENSE:
            record.update(CustomerAWSAccountId=self.customer, LicenseArn=self.scope)
        else:
            record["CustomerIdentifier"] = self.customer
        return record


@dataclass(frozen=True)
class RecordResult:
    ref: int
    outcome: Outcome
    metering_record_id: str | None = None
    error: str | None = None


@dataclass
class SendStats:
    calls: int = 0
    throttles: int = 0
    retries: int = 0
    records: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


OnResults = Callable[[list[RecordResult]], None]


class Sender(Protocol):
    dry_run: bool

    def send(self, records: Sequence[OutgoingRecord], on_results: OnResults) -> SendStats: ...

    def send_waves(
        self, waves: Iterable[Sequence[OutgoingRecord]], on_results: OnResults
    ) -> SendStats: ...


def batches(records: Sequence[OutgoingRecord]) -> Iterator[list[OutgoingRecord]]:
    """Up to 25 records of one batch key (and so one model and product), in given order."""
    grouped: dict[tuple[str, str], list[OutgoingRecord]] = {}
    for record in records:
        grouped.setdefault((record.model, record.batch_key), []).append(record)
    for group in grouped.values():
        for start in range(0, len(group), BATCH_SIZE):
            yield group[start : start + BATCH_SIZE]


class DryRunClient:
    """Sends nothing: every record comes back as a dry run, after the same batching."""

    dry_run = True

    def send(self, records: Sequence[OutgoingRecord], on_results: OnResults) -> SendStats:
        return self.send_waves([records], on_results)

    def send_waves(
        self, waves: Iterable[Sequence[OutgoingRecord]], on_results: OnResults
    ) -> SendStats:
        stats = SendStats()
        for wave in waves:
            stats.add(records=len(wave))
            for batch in batches(wave):
                on_results([RecordResult(r.ref, Outcome.DRY_RUN) for r in batch])
        return stats
