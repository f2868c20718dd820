"""What an agreement says, as plain data: pure mapping of AWS's answers to contract terms.

Input is what boto3 returns (SearchAgreements summary, GetAgreementTerms' acceptedTerms,
GetAgreementEntitlements); output is `AgreementTerms`, with Decimal quantities and prices
and UTC times. Upfront terms (configurable: the dimensions and quantities bought; fixed:
its grants) are the entitlements and make the agreement a contract; without them it is a
pay-as-you-go subscription. The usage-based rate card gives AWS's price per dimension.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import ExternalServiceError
from core.models import ContractKind

ENDED = {"CANCELLED", "EXPIRED", "TERMINATED", "RENEWED", "REPLACED", "ROLLED_BACK", "SUPERSEDED"}


@dataclass(frozen=True)
class AgreementTerms:
    agreement_id: str
    account_id: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    updated_at: datetime
    product_ref: str = ""
    license_arn: str | None = None
    license_status: str | None = None
    kind: str = ContractKind.SUBSCRIPTION
    entitlements: dict[str, Decimal] = field(default_factory=dict)  # AWS dimension key -> qty
    rates: dict[str, Decimal] = field(default_factory=dict)  # AWS dimension key -> price
    currency: str = "USD"
    free_trial_ends_at: datetime | None = None
    trial_grants: dict[str, Decimal] = field(default_factory=dict)
    recurring_fee: Decimal | None = None
    billing_period: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED or self.license_status == "DEPROVISIONED"

    def fingerprint(self) -> str:
        """A hash of what a contract is built from (not of when AWS last touched it)."""
        data = asdict(self)
        for volatile in ("updated_at", "status", "license_status"):
            data.pop(volatile)
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def agreement_terms(
    summary: dict[str, Any], accepted: list[dict[str, Any]], licences: list[dict[str, Any]]
) -> AgreementTerms:
    """Map one agreement's three answers to its terms."""
    agreement_id = str(summary["agreementId"])
    validity = _first(accepted, "validityTerm")
    starts = _time(validity.get("agreementStartDate") or summary.get("startTime"))
    ends_raw = summary.get("endTime") or validity.get("agreementEndDate")
    entitlements = _upfront(accepted)
    usage = _first(accepted, "usageBasedPricingTerm")
    trial = _first(accepted, "freeTrialPricingTerm")
    recurring = _first(accepted, "recurringPaymentTerm")
    licence = _licence(summary, licences)
    if starts is None:
        raise ExternalServiceError(f"agreement {agreement_id} has no start date")
    return AgreementTerms(
        agreement_id=agreement_id,
        account_id=str(summary.get("acceptor", {}).get("accountId", "")),
        status=str(summary.get("status", "ACTIVE")),
        starts_at=starts,
        ends_at=_time(ends_raw),
        updated_at=_time(summary.get("lastUpdateTime")) or starts,
        product_ref=_product(summary),
        license_arn=licence.get("licenseArn"),
        license_status=licence.get("status"),
        kind=ContractKind.CONTRACT if entitlements else ContractKind.SUBSCRIPTION,
        entitlements=entitlements,
        rates=_rates(usage, agreement_id),
        currency=str(usage.get("currencyCode") or recurring.get("currencyCode") or "USD"),
        free_trial_ends_at=_time(summary.get("freeTrialEndTime")),
        trial_grants={
            g["dimensionKey"]: Decimal(g.get("maxQuantity", 1)) for g in trial.get("grants", [])
        },
        recurring_fee=_decimal(recurring.get("price"), agreement_id) if recurring else None,
        billing_period=recurring.get("billingPeriod"),
    )


def _first(accepted: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next((term[kind] for term in accepted if kind in term), {})


def _upfront(accepted: list[dict[str, Any]]) -> dict[str, Decimal]:
    """Quantities bought: configurable upfront dimensions, then fixed upfront grants."""
    bought: dict[str, Decimal] = {}
    for term in accepted:
        configured = term.get("configurableUpfrontPricingTerm", {}).get("configuration", {})
        for item in configured.get("dimensions", []):
            bought[item["dimensionKey"]] = Decimal(item.get("dimensionValue", 0))
        for grant in term.get("fixedUpfrontPricingTerm", {}).get("grants", []):
            bought[grant["dimensionKey"]] = Decimal(grant.get("maxQuantity", 1))
    return bought


def _rates(usage: dict[str, Any], agreement_id: str) -> dict[str, Decimal]:
    return {
        item["dimensionKey"]: _decimal(item.get("price"), agreement_id)
        for card in usage.get("rateCards", [])
        for item in card.get("rateCard", [])
    }


def _licence(summary: dict[str, Any], licences: list[dict[str, Any]]) -> dict[str, Any]:
    """The licence to meter against: a provisioned one if any, else the latest listed."""
    with_arn = [item for item in licences if item.get("licenseArn")]
    live = [item for item in with_arn if item.get("status") == "PROVISIONED"]
    if live or with_arn:
        return (live or with_arn)[-1]
    listed = [e["licenseArn"] for e in summary.get("entitlements", []) if e.get("licenseArn")]
    return {"licenseArn": listed[-1]} if listed else {}


def _product(summary: dict[str, Any]) -> str:
    resources = summary.get("proposalSummary", {}).get("resources", [])
    return str(resources[0]["id"]) if resources else ""


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _decimal(text: Any, agreement_id: str) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise ExternalServiceError(
            f"agreement {agreement_id} has a price that is not a number: {text!r}"
        ) from None
