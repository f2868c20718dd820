"""The Agreement Service's invoices (ListAgreementInvoiceLineItems): what AWS charged.

The boto3 `marketplace-agreement` client is the one the composition root builds for the
agreements sync (us-east-1, timeout, retries); this adapter reads one agreement's
invoices for one billing period, every page, and says what to grant when refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import ExternalServiceError
from core.periods import Period

FIXES = {
    "AccessDeniedException": "the AWS credentials may not read invoices: allow "
    "aws-marketplace:ListAgreementInvoiceLineItems",
    "ResourceNotFoundException": "AWS does not know this agreement",
    "ThrottlingException": "still throttled after retries; run it again later",
}


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice (or credit memo) of an agreement for a billing period."""

    agreement_id: str
    invoice_id: str
    invoice_type: str  # INVOICE | CREDIT_MEMO
    amount: Decimal
    max_adjustment: Decimal
    currency: str
    issued_at: datetime | None

    @property
    def signed_amount(self) -> Decimal:
        """What the line adds to the period's charge: a credit memo takes away."""
        return -self.amount if self.invoice_type == "CREDIT_MEMO" else self.amount


class InvoiceReader:
    def __init__(self, boto_client: Any) -> None:
        self._boto = boto_client

    def lines(self, agreement_id: str, period: Period) -> list[InvoiceLine]:
        """The agreement's invoices and credit memos for the month `period` starts."""
        params = {
            "agreementId": agreement_id,
            "groupBy": "INVOICE_ID",
            "invoiceBillingPeriod": {"month": period.start.month, "year": period.start.year},
        }
        try:
            pages = self._boto.get_paginator("list_agreement_invoice_line_items").paginate(**params)
            groups = [g for page in pages for g in page.get(GROUPS, [])]
        except (ClientError, BotoCoreError) as exc:
            raise _failure(exc) from None
        return [line for line in map(_line, groups) if line is not None]


GROUPS = "agreementInvoiceLineItemGroupSummaries"


def _line(group: dict[str, Any]) -> InvoiceLine | None:
    money = group.get("pricingCurrencyAmount") or {}
    try:
        amount = Decimal(str(money["amount"]))
        ceiling = Decimal(str(money.get("maxAdjustmentAmount") or 0))
    except (KeyError, InvalidOperation):
        return None  # an invoice without a readable amount cannot be compared
    return InvoiceLine(
        agreement_id=str(group.get("agreementId", "")),
        invoice_id=str(group.get("invoiceId", "")),
        invoice_type=str(group.get("invoiceType", "INVOICE")),
        amount=amount,
        max_adjustment=ceiling,
        currency=str(money.get("currencyCode", "USD")),
        issued_at=group.get("issuedTime"),
    )


def _failure(exc: Exception) -> ExternalServiceError:
    name = "Agreement Service ListAgreementInvoiceLineItems"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        return ExternalServiceError(f"{name}: {code}: {FIXES.get(code, error.get('Message', ''))}")
    return ExternalServiceError(f"{name}: {type(exc).__name__}")
