"""Scheduled operation: job runs (one per job and tick) and alert rules with their state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class JobRunStatus:
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class JobRun(SQLModel, table=True):
    """One run of a scheduled job. (job, tick) is unique: the replica that inserts the row
    first is the one that runs that tick, so several replicas run each tick once."""

    __table_args__ = (UniqueConstraint("job", "tick"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(index=True, max_length=50)
    tick: datetime = time_field(index=True)
    replica: str = Field(default="", max_length=255)
    status: str = Field(default=JobRunStatus.RUNNING, max_length=20, index=True)
    started_at: datetime = time_field()
    finished_at: datetime | None = time_field(default=None, nullable=True)
    duration_seconds: Decimal | None = decimal_field(None, nullable=True)
    summary: str = Field(default="", max_length=1000)
    error: str | None = Field(default=None, max_length=2000)


class AlertKind:
    THRESHOLD = "threshold"  # the dimension's quantity this month goes above a number
    AT_LEAST = "at_least"  # ... reaches a number
    ENTITLEMENT = "entitlement"  # a percentage of the contract's entitlement
    SPIKE = "spike"  # the last hour against the trailing hourly average


class AlertRule(SQLModel, table=True):
    """A rule as typed (`text`) and parsed. customer_id None: every active customer."""

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=255)
    kind: str = Field(max_length=20)
    dimension_key: str = Field(max_length=255, index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    # THRESHOLD: the quantity; ENTITLEMENT: the percentage; SPIKE: the factor.
    value: Decimal = decimal_field()
    window_hours: int = 24  # SPIKE: how many earlier hours make the trailing average
    enabled: bool = True
    created_by: str = Field(max_length=100)
    created_at: datetime = created_field()


class AlertState(SQLModel, table=True):
    """Whether a rule is currently crossed for a customer and dimension; a post is made only
    when it goes from not crossed to crossed, so a crossing is announced once."""

    __table_args__ = (UniqueConstraint("rule_id", "customer_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="alertrule.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id")
    crossed: bool = False
    value: Decimal = decimal_field()
    changed_at: datetime = time_field()
