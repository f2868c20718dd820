"""The metering ledger (outbox): one row per (customer, dimension, metering hour)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class LedgerStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"  # handed to Marketplace, outcome not yet known
    ACCEPTED = "accepted"
    NOT_SUBSCRIBED = "not_subscribed"
    DUPLICATE = "duplicate"
    FAILED = "failed"


class MeteringRecord(SQLModel, table=True):
    """A quantity for Marketplace. Its quantity never changes once sent."""

    __table_args__ = (UniqueConstraint("customer_id", "dimension_id", "hour"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    hour: datetime = time_field(index=True)
    quantity: Decimal = decimal_field()
    status: str = Field(default=LedgerStatus.PENDING, max_length=20, index=True)
    source: str = Field(max_length=100)  # "scheduled" or the Slack user id who entered it
    attempts: int = 0
    metering_record_id: str | None = Field(default=None, max_length=255)
    last_error: str | None = Field(default=None, max_length=2000)
    claimed_by: str | None = Field(default=None, max_length=255)
    claimed_until: datetime | None = time_field(default=None, nullable=True)
    created_at: datetime = created_field()
    sent_at: datetime | None = time_field(default=None, nullable=True)
    updated_at: datetime = created_field()
