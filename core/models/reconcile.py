"""Reconciliation runs, what they found, and the refunds asked for over-billing.

A finding is one difference (its `key`: kind, customer, dimension, hour, or agreement and
month), kept across runs: a later run that finds it again updates it and leaves its
state alone, so an explained difference is not asked about twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class FindingState(StrEnum):
    OPEN = "open"  # needs a person
    EXPLAINED = "explained"  # a person said why; nothing to do
    REFUNDED = "refunded"  # a billing adjustment was asked of AWS
    CLEARED = "cleared"  # a later run of the same month no longer finds it


class ReconcileRun(SQLModel, table=True):
    """One reconciliation of a month: who or what ran it and what it saw."""

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    actor: str = Field(max_length=100)  # a Slack user id, a job name or "cli"
    started_at: datetime = time_field()
    ledger_rows: int = 0
    logged_records: int = 0
    agreements: int = 0
    found: int = 0
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class ReconcileFinding(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=400)
    month: str = Field(max_length=7, index=True)
    kind: str = Field(max_length=20, index=True)
    state: str = Field(default=FindingState.OPEN, max_length=20, index=True)
    customer: str = Field(max_length=255)
    dimension: str = Field(default="", max_length=255)
    hour: datetime | None = time_field(default=None, nullable=True)
    expected: Decimal | None = decimal_field(None, nullable=True)
    actual: Decimal | None = decimal_field(None, nullable=True)
    agreement_id: str | None = Field(default=None, max_length=64)
    invoice_id: str | None = Field(default=None, max_length=1024)
    currency: str | None = Field(default=None, max_length=3)
    max_adjustment: Decimal | None = decimal_field(None, nullable=True)
    detail: str = Field(max_length=1000)
    first_run_id: int = Field(foreign_key="reconcilerun.id")
    last_run_id: int = Field(foreign_key="reconcilerun.id", index=True)
    explanation: str | None = Field(default=None, max_length=500)
    changed_by: str | None = Field(default=None, max_length=100)  # who set the state
    changed_at: datetime | None = time_field(default=None, nullable=True)
    created_at: datetime = created_field()


class RefundRequest(SQLModel, table=True):
    """A BatchCreateBillingAdjustmentRequest for a finding. The client token is derived
    from the finding, so asking again can never open a second request."""

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="reconcilefinding.id", index=True)
    client_token: str = Field(unique=True, max_length=64)
    agreement_id: str = Field(max_length=64)
    invoice_id: str = Field(max_length=1024)
    amount: Decimal = decimal_field()
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=40)
    description: str = Field(max_length=500)
    request_id: str | None = Field(default=None, max_length=64)  # ba-..., AWS's id
    status: str = Field(default="requested", max_length=30)  # then PENDING | ... | COMPLETED
    status_message: str | None = Field(default=None, max_length=500)
    requested_by: str = Field(max_length=100)
    requested_at: datetime = time_field()
    updated_at: datetime = created_field()
