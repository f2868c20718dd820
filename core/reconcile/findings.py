"""What a reconciliation finds: one difference between meterbot's books and AWS's.

A finding's `key` names the difference itself (kind, customer, dimension, hour or
agreement and month), so the same difference found by the next run is the same finding:
its state (open, explained, refunded) carries over instead of being asked about again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class FindingKind(StrEnum):
    MISSING = "missing"  # on the ledger as answered by AWS, but not in CloudTrail
    NOT_ON_LEDGER = "not_on_ledger"  # billed by AWS, sent by someone other than meterbot
    DOUBLE_BILLED = "double_billed"  # a second billed record for an hour meterbot billed
    QUANTITY = "quantity"  # AWS logged another quantity than the ledger holds
    STATUS = "status"  # AWS answered otherwise than the ledger says
    INVOICE = "invoice"  # the invoiced amount differs from the ledger at the rate card


# Kinds where AWS billed more than meterbot meant to: candidates for a refund.
OVER_BILLING = frozenset({FindingKind.NOT_ON_LEDGER, FindingKind.DOUBLE_BILLED})


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    key: str
    customer: str  # the customer's name, or AWS's id when no customer has it
    detail: str  # one line a person can act on
    dimension: str = ""
    hour: datetime | None = None
    expected: Decimal | None = None  # what the ledger (or the rate card) says
    actual: Decimal | None = None  # what AWS logged (or invoiced)
    agreement_id: str | None = None
    invoice_id: str | None = None
    currency: str | None = None
    max_adjustment: Decimal | None = None  # the most AWS lets be refunded on the invoice

    @property
    def over_billed(self) -> bool:
        """AWS charged more than meterbot meant to."""
        if self.kind in OVER_BILLING:
            return True
        if self.kind is FindingKind.INVOICE and None not in (self.expected, self.actual):
            return (self.actual or 0) > (self.expected or 0)
        return False


def record_key(kind: FindingKind, customer: str, dimension: str, hour: datetime) -> str:
    return f"{kind}:{customer}:{dimension}:{hour:%Y-%m-%dT%H}"
