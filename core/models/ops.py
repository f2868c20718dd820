"""The audit trail and issued invoices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class AuditEvent(SQLModel, table=True):
    """Who did what: a Slack user id or a job name, an action and its subject."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_field()
    actor: str = Field(index=True, max_length=100)
    action: str = Field(index=True, max_length=100)
    subject: str = Field(default="", max_length=255)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Invoice(SQLModel, table=True):
    """A finalized monthly invoice: once stored it is shown as it was, whatever plans do later."""

    __table_args__ = (UniqueConstraint("customer_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    currency: str = Field(default="USD", max_length=3)
    total: Decimal = decimal_field()
    # The invoice document (lines and totals, amounts as strings).
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    finalized_at: datetime = time_field()
