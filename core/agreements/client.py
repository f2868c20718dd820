"""The Agreement Service adapter (boto3 `marketplace-agreement`): the seller's agreements.

The boto3 client is built by the composition root with a timeout and retries (botocore
Config) and handed in; this module only pages through answers and turns AWS's refusals
into one line a person can act on. Nothing here logs a request, so no credential does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.agreements.terms import AgreementTerms, agreement_terms
from core.errors import ExternalServiceError

CATALOG = "AWSMarketplace"
FIXES = {
    "AccessDeniedException": "the AWS credentials may not read agreements: allow "
    "aws-marketplace:SearchAgreements, GetAgreementTerms and GetAgreementEntitlements",
    "ResourceNotFoundException": "AWS does not know this agreement",
    "ThrottlingException": "still throttled after retries; the next pass picks it up",
}


class AgreementClient:
    """Reads purchase agreements where this account is the proposer (the seller)."""

    def __init__(self, boto_client: Any) -> None:
        self._boto = boto_client

    def changed_since(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Summaries of purchase agreements updated after `since` (all when None)."""
        filters = [
            {"name": "PartyType", "values": ["Proposer"]},
            {"name": "AgreementType", "values": ["PurchaseAgreement"]},
        ]
        if since is not None:
            stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
            filters.append({"name": "AfterLastUpdateTime", "values": [stamp]})
        pages = self._paginate("search_agreements", catalog=CATALOG, filters=filters)
        for page in pages:
            yield from page.get("agreementViewSummaries", [])

    def terms(self, summary: dict[str, Any]) -> AgreementTerms:
        """The agreement's accepted terms and licences, read afresh."""
        agreement_id = summary["agreementId"]
        accepted = self._all("get_agreement_terms", "acceptedTerms", agreement_id)
        licences = self._all("get_agreement_entitlements", "agreementEntitlements", agreement_id)
        return agreement_terms(summary, accepted, licences)

    def describe(self, agreement_id: str) -> dict[str, Any]:
        """One agreement's summary (for an event, which carries only its id)."""
        try:
            answer: dict[str, Any] = self._boto.describe_agreement(agreementId=agreement_id)
        except (ClientError, BotoCoreError) as exc:
            raise _failure("DescribeAgreement", exc) from None
        answer.pop("ResponseMetadata", None)
        # DescribeAgreement has no lastUpdateTime: terms read now count from now.
        answer.setdefault("lastUpdateTime", datetime.now(UTC))
        return answer

    def _all(self, operation: str, key: str, agreement_id: str) -> list[dict[str, Any]]:
        pages = self._paginate(operation, agreementId=agreement_id)
        return [item for page in pages for item in page.get(key, [])]

    def _paginate(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from self._boto.get_paginator(operation).paginate(**params)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(operation, exc) from None


def _failure(operation: str, exc: Exception) -> ExternalServiceError:
    if "_" in operation:  # boto3's method name: say AWS's operation name
        operation = "".join(part.title() for part in operation.split("_"))
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "error")
        fix = FIXES.get(code, exc.response.get("Error", {}).get("Message", ""))
        return ExternalServiceError(f"Agreement Service {operation}: {code}: {fix}")
    return ExternalServiceError(f"Agreement Service {operation}: {type(exc).__name__}")
