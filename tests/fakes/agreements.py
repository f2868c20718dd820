"""A local stand-in for the AWS Marketplace Agreement Service (marketplace-agreement).

Speaks what boto3 sends (AWS JSON 1.0, `X-Amz-Target: AWSMPCommerceService_v20200301.*`),
each request and answer checked against botocore's own service model (tests/fakes/aws_json).
It holds purchase agreements as a seller sees them: SearchAgreements (as proposer, with
the PartyType, AgreementType, Status, AcceptorAccountId and AfterLastUpdateTime filters,
paginated), GetAgreementTerms and GetAgreementEntitlements (paginated), DescribeAgreement,
ListAgreementInvoiceLineItems (the invoices added with `add_invoice`, by billing period),
BatchCreateBillingAdjustmentRequest (idempotent on clientToken; per-entry errors as the
model lists them: an amount above the invoice's maxAdjustmentAmount, an unknown invoice,
a request already pending for the invoice) and GetBillingAdjustmentRequest (`settle`);
unknown agreements answer ResourceNotFoundException, bad tokens ValidationException.

    with AgreementStandIn() as aws:
        aws.clock = lambda: datetime(2026, 11, 1, tzinfo=UTC)
        aws.add_agreement("agmt-1", account="111122223333", license_arn=ARN,
                          start=..., end=..., entitlements={"storage_tb": 60},
                          rates={"storage_tb": "50"})
        aws.amend("agmt-1", entitlements={"storage_tb": 80})   # a new lastUpdateTime
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.fakes.aws_json import AwsError, AwsJsonServer

PAGE = 50
FILTERS = {
    "PartyType",
    "AgreementType",
    "Status",
    "AcceptorAccountId",
    "ResourceIdentifier",
    "OfferId",
    "AfterLastUpdateTime",
}


def _stamp(moment: datetime) -> float:
    return moment.timestamp()


class AgreementStandIn(AwsJsonServer):
    SERVICE = "marketplace-agreement"
    ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT"

    def __init__(self, *, page_size: int = PAGE) -> None:
        super().__init__()
        self.page_size = page_size
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.agreements: dict[str, dict[str, Any]] = {}  # id -> summary (AWS's own names)
        self.terms: dict[str, list[dict[str, Any]]] = {}
        self.licences: dict[str, list[dict[str, Any]]] = {}
        self.invoices: dict[str, list[dict[str, Any]]] = {}  # agreement id -> line groups
        self.adjustments: dict[str, dict[str, Any]] = {}  # billingAdjustmentRequestId -> it
        self._tokens: dict[str, str] = {}  # clientToken -> billingAdjustmentRequestId

    # -- what the buyers bought ----------------------------------------------------------
    def add_agreement(
        self,
        agreement_id: str,
        *,
        account: str,
        license_arn: str,
        start: datetime,
        end: datetime | None = None,
        product: str = "prod-dataplatform",
        entitlements: dict[str, int] | None = None,
        rates: dict[str, str] | None = None,
        currency: str = "USD",
        free_trial: tuple[datetime, dict[str, int]] | None = None,
        recurring_fee: str | None = None,
    ) -> None:
        summary: dict[str, Any] = {
            "agreementId": agreement_id,
            "acceptanceTime": _stamp(start),
            "startTime": _stamp(start),
            "agreementType": "PurchaseAgreement",
            "acceptor": {"accountId": account},
            "proposer": {"accountId": "999988887777"},
            "proposalSummary": {
                "offerId": f"offer-{agreement_id}",
                "resources": [{"id": product, "type": "SaaSProduct"}],
            },
            "status": "ACTIVE",
            "entitlements": [{"licenseArn": license_arn}],
        }
        if end is not None:
            summary["endTime"] = _stamp(end)
        if free_trial is not None:
            summary["freeTrialEndTime"] = _stamp(free_trial[0])
        self.agreements[agreement_id] = summary
        self.terms[agreement_id] = _terms(
            start, end, entitlements, rates, currency, free_trial, recurring_fee
        )
        self.licences[agreement_id] = [
            {
                "resource": {"id": product, "type": "SaaSProduct"},
                "type": "SaaSProduct",
                "status": "PROVISIONED",
                "licenseArn": license_arn,
            }
        ]
        self._touch(agreement_id)

    def amend(
        self,
        agreement_id: str,
        *,
        entitlements: dict[str, int] | None = None,
        rates: dict[str, str] | None = None,
        end: datetime | None = None,
    ) -> None:
        """New terms for the agreement, accepted now (the clock)."""
        summary = self.agreements[agreement_id]
        start = datetime.fromtimestamp(summary["startTime"], UTC)
        if end is not None:
            summary["endTime"] = _stamp(end)
        old_end = summary.get("endTime")
        stop = datetime.fromtimestamp(old_end, UTC) if old_end is not None else None
        self.terms[agreement_id] = _terms(start, stop, entitlements, rates, "USD", None, None)
        self._touch(agreement_id)

    def end(self, agreement_id: str, status: str = "CANCELLED") -> None:
        """The buyer unsubscribed (or the contract expired): ended now, licence withdrawn."""
        summary = self.agreements[agreement_id]
        summary["status"], summary["endTime"] = status, _stamp(self.clock())
        for licence in self.licences[agreement_id]:
            licence["status"], licence["statusReasonCode"] = "DEPROVISIONED", "AGREEMENT_INACTIVE"
        self._touch(agreement_id)

    def add_invoice(
        self,
        agreement_id: str,
        invoice_id: str,
        *,
        month: tuple[int, int],
        amount: str,
        max_adjustment: str | None = None,
        invoice_type: str = "INVOICE",
        currency: str = "USD",
    ) -> None:
        """An invoice (or credit memo) AWS issued for the agreement's billing period."""
        year, number = month
        self.invoices.setdefault(agreement_id, []).append(
            {
                "agreementId": agreement_id,
                "invoiceId": invoice_id,
                "pricingCurrencyAmount": {
                    "amount": amount,
                    "maxAdjustmentAmount": max_adjustment or amount,
                    "currencyCode": currency,
                },
                "invoiceBillingPeriod": {"month": number, "year": year},
                "issuedTime": _stamp(self.clock()),
                "invoiceType": invoice_type,
            }
        )

    def _touch(self, agreement_id: str) -> None:
        self.agreements[agreement_id]["lastUpdateTime"] = _stamp(self.clock())

    # -- operations ----------------------------------------------------------------------
    def op_SearchAgreements(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("catalog") != "AWSMarketplace":
            raise AwsError("ValidationException", "catalog must be AWSMarketplace")
        filters = {f["name"]: f.get("values", []) for f in request.get("filters", [])}
        unknown = set(filters) - FILTERS
        if unknown or filters.get("PartyType") not in (["Proposer"], ["Acceptor"]):
            raise AwsError("ValidationException", f"bad filters {sorted(filters)}")
        found = [a for a in self.agreements.values() if _matches(a, filters)]
        found.sort(key=lambda a: (a["lastUpdateTime"], a["agreementId"]))
        return self._page(request, found, "agreementViewSummaries")

    def op_DescribeAgreement(self, request: dict[str, Any]) -> dict[str, Any]:
        summary = self._agreement(request["agreementId"])
        keep = {"agreementId", "acceptor", "proposer", "startTime", "endTime", "status"}
        keep |= {"acceptanceTime", "agreementType", "proposalSummary", "initialAgreementId"}
        return {k: v for k, v in summary.items() if k in keep}

    def op_GetAgreementTerms(self, request: dict[str, Any]) -> dict[str, Any]:
        self._agreement(request["agreementId"])
        return self._page(request, self.terms[request["agreementId"]], "acceptedTerms")

    def op_GetAgreementEntitlements(self, request: dict[str, Any]) -> dict[str, Any]:
        self._agreement(request["agreementId"])
        items = self.licences[request["agreementId"]]
        return self._page(request, items, "agreementEntitlements")

    def op_ListAgreementInvoiceLineItems(self, request: dict[str, Any]) -> dict[str, Any]:
        self._agreement(request["agreementId"])
        found = [
            line
            for line in self.invoices.get(request["agreementId"], [])
            if request.get("invoiceBillingPeriod", line["invoiceBillingPeriod"])
            == line["invoiceBillingPeriod"]
            and request.get("invoiceType", line["invoiceType"]) == line["invoiceType"]
            and request.get("invoiceId", line["invoiceId"]) == line["invoiceId"]
        ]
        return self._page(request, found, "agreementInvoiceLineItemGroupSummaries")

    def op_BatchCreateBillingAdjustmentRequest(self, request: dict[str, Any]) -> dict[str, Any]:
        """Idempotent on clientToken: the same token answers the same request id, once."""
        items, errors = [], []
        for entry in request["billingAdjustmentRequestEntries"]:
            token = entry["clientToken"]
            try:
                request_id = self._tokens.get(token) or self._adjust(entry)
            except AwsError as exc:
                errors.append({"code": exc.code, "message": exc.message, "clientToken": token})
                continue
            self._tokens[token] = request_id
            items.append({"billingAdjustmentRequestId": request_id, "clientToken": token})
        return {"items": items, "errors": errors}

    def op_GetBillingAdjustmentRequest(self, request: dict[str, Any]) -> dict[str, Any]:
        found = self.adjustments.get(request["billingAdjustmentRequestId"])
        if found is None or found["agreementId"] != request["agreementId"]:
            raise AwsError("ResourceNotFoundException", "no such billing adjustment request")
        return dict(found)

    def settle(self, request_id: str, status: str = "COMPLETED", message: str = "") -> None:
        """AWS decides on a billing adjustment request."""
        self.adjustments[request_id].update(status=status, updatedAt=_stamp(self.clock()))
        if message:
            self.adjustments[request_id]["statusMessage"] = message

    def _adjust(self, entry: dict[str, Any]) -> str:
        if entry["agreementId"] not in self.agreements:
            raise AwsError("RESOURCE_NOT_FOUND_EXCEPTION", "agreement not found")
        lines = [
            line
            for line in self.invoices.get(entry["agreementId"], [])
            if line["invoiceId"] == entry["originalInvoiceId"]
        ]
        if not lines:
            raise AwsError("RESOURCE_NOT_FOUND_EXCEPTION", "invoice not found")
        if not re.fullmatch(r"[0-9]*(\.[0-9]{0,8})?", entry["adjustmentAmount"]):
            raise AwsError("VALIDATION_EXCEPTION", "adjustmentAmount: up to 8 decimal places")
        ceiling = Decimal(lines[0]["pricingCurrencyAmount"]["maxAdjustmentAmount"])
        amount = Decimal(entry["adjustmentAmount"])
        if not 0 < amount <= ceiling:
            raise AwsError("VALIDATION_EXCEPTION", f"adjustmentAmount must be in 0..{ceiling}")
        if any(a["originalInvoiceId"] == entry["originalInvoiceId"] and a["status"] == "PENDING"
               for a in self.adjustments.values()):  # fmt: skip
            raise AwsError("CONFLICT_EXCEPTION", "a request for this invoice is pending")
        request_id = f"ba-{len(self.adjustments) + 1:010d}"
        now = _stamp(self.clock())
        keep = ("agreementId", "originalInvoiceId", "adjustmentAmount", "currencyCode")
        self.adjustments[request_id] = {
            **{k: entry[k] for k in keep},
            "billingAdjustmentRequestId": request_id,
            "adjustmentReasonCode": entry["adjustmentReasonCode"],
            "description": entry.get("description", ""),
            "status": "PENDING",
            "createdAt": now,
            "updatedAt": now,
        }
        return request_id

    def _agreement(self, agreement_id: str) -> dict[str, Any]:
        if agreement_id not in self.agreements:
            raise AwsError("ResourceNotFoundException", f"agreement {agreement_id} not found")
        return self.agreements[agreement_id]

    def _page(self, request: dict[str, Any], items: list[Any], key: str) -> dict[str, Any]:
        size = min(request.get("maxResults", self.page_size), self.page_size)
        token = request.get("nextToken", "0")
        if not token.isdigit() or int(token) > len(items):
            raise AwsError("ValidationException", "invalid nextToken")
        start = int(token)
        answer: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            answer["nextToken"] = str(start + size)
        return answer


def _matches(summary: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    if "AgreementType" in filters and summary["agreementType"] not in filters["AgreementType"]:
        return False
    if "Status" in filters and summary["status"] not in filters["Status"]:
        return False
    accounts = filters.get("AcceptorAccountId")
    if accounts and summary["acceptor"]["accountId"] not in accounts:
        return False
    after = filters.get("AfterLastUpdateTime")
    if after:
        since = datetime.fromisoformat(after[0].replace("Z", "+00:00"))
        return bool(summary["lastUpdateTime"] > since.timestamp())
    return True


def _terms(
    start: datetime,
    end: datetime | None,
    entitlements: dict[str, int] | None,
    rates: dict[str, str] | None,
    currency: str,
    free_trial: tuple[datetime, dict[str, int]] | None,
    recurring_fee: str | None,
) -> list[dict[str, Any]]:
    validity: dict[str, Any] = {"type": "ValidityTerm", "agreementStartDate": _stamp(start)}
    if end is not None:
        validity["agreementEndDate"] = _stamp(end)
    terms: list[dict[str, Any]] = [
        {"legalTerm": {"type": "LegalTerm", "documents": []}},
        {"validityTerm": validity},
    ]
    if rates:
        card = [{"dimensionKey": k, "price": v} for k, v in rates.items()]
        usage = {"type": "UsageBasedPricingTerm", "currencyCode": currency}
        terms.append({"usageBasedPricingTerm": {**usage, "rateCards": [{"rateCard": card}]}})
    if entitlements:
        bought = [{"dimensionKey": k, "dimensionValue": v} for k, v in entitlements.items()]
        upfront = {
            "type": "ConfigurableUpfrontPricingTerm",
            "currencyCode": currency,
            "rateCards": [{"selector": {"type": "Duration", "value": "P12M"}, "rateCard": []}],
            "configuration": {"selectorValue": "P12M", "dimensions": bought},
        }
        terms.append({"configurableUpfrontPricingTerm": upfront})
    if free_trial is not None:
        grants = [{"dimensionKey": k, "maxQuantity": v} for k, v in free_trial[1].items()]
        trial = {"type": "FreeTrialPricingTerm", "duration": "P30D", "grants": grants}
        terms.append({"freeTrialPricingTerm": trial})
    if recurring_fee is not None:
        fee = {"type": "RecurringPaymentTerm", "currencyCode": currency}
        terms.append(
            {"recurringPaymentTerm": {**fee, "billingPeriod": "Monthly", "price": recurring_fee}}
        )
    return terms
