"""Matching what the ledger's quantities cost at an agreement's rate card with what AWS
invoiced for the month (pure functions).

The ledger's side is the accepted quantities of the month times AWS's price for each
dimension in the contract version in force at the hour, plus a monthly recurring fee;
AWS's side is the month's invoices less its credit memos. A difference larger than the
tolerance is a finding; an over-charge names the largest invoice, the one a refund is
asked against, with the most AWS lets be adjusted on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.reconcile.findings import Finding, FindingKind
from core.reconcile.invoices import InvoiceLine

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Expected:
    """What one agreement's month should cost, by the ledger and the rate card."""

    agreement_id: str
    customer: str
    month: str
    amount: Decimal
    currency: str


def compare_invoices(
    expected: Expected, lines: Sequence[InvoiceLine], tolerance: Decimal
) -> Finding | None:
    """A finding when the month's invoices differ from the expected cost by more than
    `tolerance`; None when they agree (or nothing is invoiced and nothing is owed)."""
    invoiced = sum((line.signed_amount for line in lines), Decimal(0))
    difference = invoiced - expected.amount
    if abs(difference) <= tolerance:
        return None
    invoices = [line for line in lines if line.invoice_type == "INVOICE"]
    largest = max(invoices, key=lambda line: line.amount, default=None)
    money = f"{expected.currency} {{:,.2f}}"
    what = "over-charged" if difference > 0 else "under-charged"
    detail = (
        f"{expected.customer} {expected.agreement_id} {expected.month}: invoiced "
        f"{money.format(invoiced)}, the ledger at the rate card comes to "
        f"{money.format(expected.amount)} ({what} by {money.format(abs(difference))})"
    )
    return Finding(
        kind=FindingKind.INVOICE,
        key=f"invoice:{expected.agreement_id}:{expected.month}",
        customer=expected.customer,
        detail=detail,
        expected=expected.amount.quantize(CENT),
        actual=invoiced,
        agreement_id=expected.agreement_id,
        invoice_id=largest.invoice_id if largest else None,
        currency=expected.currency,
        max_adjustment=largest.max_adjustment if largest else None,
    )
