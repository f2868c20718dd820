"""The Agreement Service's billing adjustments: asking AWS to refund part of an invoice.

BatchCreateBillingAdjustmentRequest takes a client token per entry and is idempotent on
it, so the same token sent twice is one request; errors come per entry in the answer
(CONFLICT_EXCEPTION, VALIDATION_EXCEPTION, RESOURCE_NOT_FOUND_EXCEPTION, INTERNAL_FAILURE),
not only as a failed call. GetBillingAdjustmentRequest follows a request up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import ExternalServiceError

REASON = "INCORRECT_METERING"
CENT = Decimal("0.01")
FIXES = {
    "AccessDeniedException": "the AWS credentials may not ask for refunds: allow "
    "aws-marketplace:BatchCreateBillingAdjustmentRequest and GetBillingAdjustmentRequest",
    "CONFLICT_EXCEPTION": "AWS already has a request for this invoice under way",
    "VALIDATION_EXCEPTION": "AWS refused the amount or the invoice",
    "RESOURCE_NOT_FOUND_EXCEPTION": "AWS does not know this agreement or invoice",
    "INTERNAL_FAILURE": "AWS failed; asking again sends the same request (same token)",
}


@dataclass(frozen=True)
class Adjustment:
    agreement_id: str
    invoice_id: str
    amount: Decimal
    currency: str
    description: str
    client_token: str


@dataclass(frozen=True)
class AdjustmentStatus:
    status: str  # PENDING | VALIDATION_FAILED | COMPLETED
    message: str


class BillingAdjustments:
    def __init__(self, boto_client: Any) -> None:
        self._boto = boto_client

    def request(self, adjustment: Adjustment) -> str:
        """The billingAdjustmentRequestId AWS gave (the same one again for the same token)."""
        entry = {
            "agreementId": adjustment.agreement_id,
            "originalInvoiceId": adjustment.invoice_id,
            "adjustmentAmount": f"{adjustment.amount.quantize(CENT):f}",
            "currencyCode": adjustment.currency,
            "adjustmentReasonCode": REASON,
            "description": adjustment.description[:500],
            "clientToken": adjustment.client_token,
        }
        answer = self._call(
            "BatchCreateBillingAdjustmentRequest", billingAdjustmentRequestEntries=[entry]
        )
        for item in answer.get("items", []):
            if item.get("clientToken") == adjustment.client_token:
                return str(item["billingAdjustmentRequestId"])
        error: dict[str, Any] = next(iter(answer.get("errors", [])), {})
        code = str(error.get("code", "no answer"))
        fix = FIXES.get(code, "")
        raise ExternalServiceError(
            f"refund request refused: {code}: {error.get('message', '')}; {fix}"
        )

    def status(self, agreement_id: str, request_id: str) -> AdjustmentStatus:
        answer = self._call(
            "GetBillingAdjustmentRequest",
            agreementId=agreement_id,
            billingAdjustmentRequestId=request_id,
        )
        return AdjustmentStatus(str(answer["status"]), str(answer.get("statusMessage", "")))

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
        try:
            answer: dict[str, Any] = getattr(self._boto, method)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "error")
            fix = FIXES.get(code, error.get("Message", ""))
            raise ExternalServiceError(f"Agreement Service {operation}: {code}: {fix}") from None
        except BotoCoreError as exc:
            raise ExternalServiceError(
                f"Agreement Service {operation}: {type(exc).__name__}"
            ) from None
        return answer
