"""The plans file schema (pydantic): what each entry may say, field by field.

Unknown keys are refused. Amounts are Decimal, taken from text (or an int) and
never through float; checks that span entries live in core.plans.checks.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from core.models import Aggregation, ContractKind, EntitlementPeriod, PriceModel, RatingPeriod
from core.models.catalog import Combine


def _exact(value: Any) -> Any:
    """Decimal from text or int; a float goes through its shortest text form, never binary."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | str):
        try:
            value = Decimal(str(value).strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("must be a finite number")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative (got {value})")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"must be greater than 0 (got {value})")
    return value


def _id_text(value: Any) -> Any:
    # YAML reads 012345678901 as a number; an account id is text and leading zeros count.
    if isinstance(value, int | Decimal):
        raise ValueError("quote it, say '012345678901': an account id is text, not a number")
    return value


def _month_start(value: date) -> date:
    if value.day != 1:
        first = value.replace(day=1)
        raise ValueError(f"must be the first day of a month (a billing period starts), say {first}")
    return value


Amount = Annotated[Decimal, BeforeValidator(_exact), AfterValidator(_non_negative)]
Positive = Annotated[Decimal, BeforeValidator(_exact), AfterValidator(_positive)]
Key = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
MonthStart = Annotated[date, AfterValidator(_month_start)]
_ACCOUNT = re.compile(r"^\d{12}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DimensionSpec(_Strict):
    key: Key
    name: Text | None = None
    marketplace_key: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    unit: Annotated[str, Field(min_length=1, max_length=50)] = "unit"
    aggregation: Aggregation = Aggregation.SUM
    rating_period: RatingPeriod = RatingPeriod.HOUR
    unit_scale: Positive = Decimal(1)
    whole_units: bool = False
    max_quantity: Positive | None = None
    # A gauge over a customer's several usage ids: per id first, then sum, mean or max.
    combine: Combine = Combine.SUM

    @model_validator(mode="after")
    def _combine_is_for_gauges(self) -> DimensionSpec:
        additive = self.aggregation in (Aggregation.SUM, Aggregation.COUNT)
        if additive and self.combine != Combine.SUM:
            raise ValueError(
                f"combine: {self.combine} is for gauges (avg, peak, last); "
                f"{self.aggregation} always adds up across usage ids"
            )
        return self


class ProductSpec(_Strict):
    key: Key
    name: Text
    marketplace_product_code: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    dimensions: Annotated[list[DimensionSpec], Field(min_length=1)]


class TierSpec(_Strict):
    up_to: Positive | None = None
    unit_price: Amount = Decimal(0)
    flat_fee: Amount = Decimal(0)


class PriceSpecEntry(_Strict):
    model: PriceModel = PriceModel.PER_UNIT
    unit_price: Amount | None = None
    tiers: list[TierSpec] | None = None
    included: Amount = Decimal(0)


class PlanSpec(_Strict):
    key: Key
    product: Key
    name: Text
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    effective_from: MonthStart | None = None
    recurring_fee: Amount = Decimal(0)
    minimum_commitment: Amount = Decimal(0)
    prices: dict[str, PriceSpecEntry] = Field(default_factory=dict)


class ContractSpec(_Strict):
    plan: Key
    kind: ContractKind | None = None
    starts: date
    ends: date | None = None
    entitlements: dict[str, Amount] = Field(default_factory=dict)
    entitlement_period: EntitlementPeriod = EntitlementPeriod.MONTH

    @property
    def contract_kind(self) -> str:
        """Explicit, or a contract when it prepays entitlements, else a subscription."""
        if self.kind is not None:
            return self.kind
        return ContractKind.CONTRACT if self.entitlements else ContractKind.SUBSCRIPTION


class MarketplaceSpec(_Strict):
    """Either CustomerIdentifier, or CustomerAWSAccountId with LicenseArn (MARKETPLACE.md)."""

    customer_identifier: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    aws_account_id: Annotated[str, BeforeValidator(_id_text)] | None = None
    license_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:license-manager:")] | None = None

    @model_validator(mode="after")
    def _one_model(self) -> MarketplaceSpec:
        licensed = self.aws_account_id is not None or self.license_arn is not None
        if self.customer_identifier and licensed:
            raise ValueError("give customer_identifier or aws_account_id + license_arn, not both")
        if licensed and not (self.aws_account_id and self.license_arn):
            raise ValueError("aws_account_id and license_arn go together")
        if self.aws_account_id and not _ACCOUNT.match(self.aws_account_id):
            raise ValueError("aws_account_id must be 12 digits")
        if not self.customer_identifier and not licensed:
            raise ValueError("give customer_identifier or aws_account_id + license_arn")
        return self


class CustomerSpec(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    salesforce_account_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")] | (
        None
    ) = None
    product: Key | None = None
    usage_ids: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list
    )
    marketplace: MarketplaceSpec | None = None
    contracts: list[ContractSpec] = Field(default_factory=list)
    active: bool = True


class FieldMappingSpec(_Strict):
    """The names the seller's usage records give meterbot's four fields."""

    timestamp: Text = "timestamp"
    customer: Text = "customer"
    dimension: Text = "dimension"
    quantity: Text = "quantity"


class PlanFile(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=False)

    field_mapping: FieldMappingSpec | None = None
    products: list[ProductSpec] = Field(default_factory=list)
    plans: list[PlanSpec] = Field(default_factory=list)
    customers: list[CustomerSpec] = Field(default_factory=list)
    _source: str = PrivateAttr(default="plans.yml")

    @property
    def source(self) -> str:
        """The file name the plans came from (for messages and the audit trail)."""
        return self._source

    @source.setter
    def source(self, name: str) -> None:
        self._source = name
