"""AWS Marketplace agreements as meterbot last read them, and the rate cards they carry.

An agreement (what a buyer accepted) is mirrored here so a sync can tell what changed;
the contract rows it produces carry its `agreement_id` (core.models.customers.Contract).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class Agreement(SQLModel, table=True):
    """One purchase agreement: who bought, the licence, its dates and a hash of its terms."""

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: str = Field(unique=True, index=True, max_length=64)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    account_id: str = Field(max_length=12)
    product_ref: str = Field(default="", max_length=255)  # the resource id AWS names
    license_arn: str | None = Field(default=None, max_length=2048)
    license_status: str | None = Field(default=None, max_length=20)
    status: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    starts_at: datetime = time_field()
    ends_at: datetime | None = time_field(default=None, nullable=True)
    free_trial_ends_at: datetime | None = time_field(default=None, nullable=True)
    currency: str = Field(default="USD", max_length=3)
    recurring_fee: Decimal | None = decimal_field(None, nullable=True)
    billing_period: str | None = Field(default=None, max_length=20)
    # An unsubscribe: usage up to `ends_at` may be sent until `final_until` (AWS's hour);
    # after `closed_at` nothing more is sent for the licence.
    final_until: datetime | None = time_field(default=None, nullable=True)
    closed_at: datetime | None = time_field(default=None, nullable=True)
    terms_hash: str = Field(max_length=64)
    last_update_time: datetime = time_field(index=True)
    synced_at: datetime = created_field()


class ContractRate(SQLModel, table=True):
    """AWS's price for one dimension in one contract version (usage-based rate card)."""

    __table_args__ = (UniqueConstraint("contract_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    price: Decimal = decimal_field()
    currency: str = Field(default="USD", max_length=3)


class AgreementEvent(SQLModel, table=True):
    """A lifecycle event already acted on (EventBridge delivers at least once)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, index=True, max_length=128)
    detail_type: str = Field(max_length=100)
    agreement_id: str | None = Field(default=None, index=True, max_length=64)
    event_time: datetime = time_field()
    outcome: str = Field(default="", max_length=500)
    received_at: datetime = created_field()
