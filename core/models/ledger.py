"""The metering ledger (outbox): one row per (customer, dimension, metering hour).

Beside it, per customer and dimension, the metering state (what rounding carried over
and the next usage period to account) and the usage already accounted per period, so
usage that arrives late is found and billed once, in a later hour.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class LedgerStatus(StrEnum):
    PENDING = "pending"  # not yet handed to Marketplace (or refused before processing)
    SENT = "sent"  # handed to Marketplace, outcome not yet known: resend identically
    ACCEPTED = "accepted"
    NOT_SUBSCRIBED = "not_subscribed"
    DUPLICATE = "duplicate"
    FAILED = "failed"  # needs a person: a configuration error, or an unknown outcome gone stale
    MOVED = "moved"  # its hour closed before it could be sent: the quantity was carried forward


class MeteringRecord(SQLModel, table=True):
    """A quantity for Marketplace. Its quantity never changes once sent.

    The Marketplace identity (model, product code or licence, customer id, dimension key)
    is fixed when the row is first sent, so a retry resends exactly the same record.
    """

    __table_args__ = (
        UniqueConstraint("customer_id", "dimension_id", "hour"),
        Index("ix_meteringrecord_status_hour", "status", "hour"),
    )

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
    # Why the row holds what it holds (carried late usage, a moved hour, a manual entry).
    note: str | None = Field(default=None, max_length=500)
    # The hours (ISO, UTC) whose late usage this row carries: the audit trail of a carry.
    carried_from: list[str] | None = Field(default=None, sa_column=Column(JSON))
    model: str | None = Field(default=None, max_length=30)
    scope: str | None = Field(default=None, max_length=2048)  # ProductCode or LicenseArn
    customer_ref: str | None = Field(default=None, max_length=255)  # CustomerIdentifier/account
    dimension_key: str | None = Field(default=None, max_length=255)
    batch_key: str | None = Field(default=None, max_length=255)  # one call never spans two
    claimed_by: str | None = Field(default=None, max_length=255)
    claimed_until: datetime | None = time_field(default=None, nullable=True)
    created_at: datetime = created_field()
    sent_at: datetime | None = time_field(default=None, nullable=True)
    updated_at: datetime = created_field()


class MeteringState(SQLModel, table=True):
    """Per customer and dimension: units owed but not yet sent, and the accounting cursor."""

    __table_args__ = (UniqueConstraint("customer_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    # Billable units not sent yet: rounding remainders, late usage, moved records.
    carry: Decimal = decimal_field()
    # Periods from first_period up to next_period (excluded) are accounted.
    first_period: datetime = time_field()
    next_period: datetime = time_field()
    updated_at: datetime = created_field()


class MeteredUsage(SQLModel, table=True):
    """Usage already accounted for one period (units, and units beyond the entitlement).

    Kept only where non-zero; a rollup that later differs means late usage."""

    __table_args__ = (UniqueConstraint("customer_id", "dimension_id", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    period_start: datetime = time_field(index=True)
    units: Decimal = decimal_field()
    billable: Decimal = decimal_field()
    updated_at: datetime = created_field()


class LateOutcome(StrEnum):
    FOUND = "found"  # noted by ingestion, not yet accounted by a submission pass
    CARRIED = "carried"  # billed in a later open hour of the same month
    REPORTED = "reported"  # not billed: METERBOT_LATE_USAGE=report, or its month is closed


class LateUsage(SQLModel, table=True):
    """Usage that arrived for an hour Marketplace no longer takes, and what became of it.

    Ingestion notes each such hour (`found`); the next submission pass accounts it and
    says whether it was carried (`into_hour`: the record that bills it) or reported."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    hour: datetime = time_field()  # the hour (or the day or month's start) it belongs to
    outcome: str = Field(default=LateOutcome.FOUND, max_length=20, index=True)
    units: Decimal = decimal_field()  # in the dimension's billed unit
    billable: Decimal = decimal_field()  # beyond the entitlement
    into_hour: datetime | None = time_field(default=None, nullable=True)
    reason: str | None = Field(default=None, max_length=255)
    found_at: datetime = created_field()
    accounted_at: datetime | None = time_field(default=None, nullable=True)
