"""Who buys: customers, the ids their usage arrives under, and their contracts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class MarketplaceModel(StrEnum):
    """How Marketplace identifies the buyer (see MARKETPLACE.md)."""

    CUSTOMER_IDENTIFIER = "customer_identifier"  # CustomerIdentifier + ProductCode (legacy)
    LICENSE = "license"  # CustomerAWSAccountId + LicenseArn (new SaaS products)


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=255)
    salesforce_account_id: str | None = Field(default=None, unique=True, max_length=18)
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    marketplace_model: str | None = Field(default=None, max_length=30)
    customer_identifier: str | None = Field(default=None, index=True, max_length=255)
    aws_account_id: str | None = Field(default=None, index=True, max_length=12)
    license_arn: str | None = Field(default=None, max_length=2048)
    # The first hour metered under `marketplace_model` (a switch happens on an hour boundary).
    model_since: datetime | None = time_field(default=None, nullable=True)
    active: bool = True
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class CustomerAlias(SQLModel, table=True):
    """An id the seller's product writes in usage records (cluster id, licence key...)."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    usage_id: str = Field(unique=True, index=True, max_length=255)


class ContractKind(StrEnum):
    SUBSCRIPTION = "subscription"  # pay as you go: all usage is metered
    CONTRACT = "contract"  # prepaid entitlements: only usage beyond them is metered


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    kind: str = Field(default=ContractKind.SUBSCRIPTION, max_length=20)
    starts_at: datetime = time_field()
    ends_at: datetime | None = time_field(default=None, nullable=True)
    # Set when the contract is AWS's (an agreement, or one version of its amended terms).
    agreement_id: str | None = Field(default=None, index=True, max_length=64)
    # Where a term entitlement's pool starts: the agreement's start, across amendments.
    term_starts_at: datetime | None = time_field(default=None, nullable=True)
    created_at: datetime = created_field()


class EntitlementPeriod(StrEnum):
    MONTH = "month"  # the quantity renews each calendar month
    TERM = "term"  # one quantity for the whole contract term


class Entitlement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    quantity: Decimal = decimal_field()
    period: str = Field(default=EntitlementPeriod.MONTH, max_length=10)
