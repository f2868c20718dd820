"""Usage rolled up per (customer, dimension, hour), per usage id where a customer has
several, and usage no customer claims yet."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import decimal_field, time_field


class HourAggregates(SQLModel):
    """What one hour of usage adds up to: the same columns in each table below, since
    ingestion merges usage into all three the same way (core.ingest.rollup_tables).

    Their customer and dimension ids carry no foreign key: ingestion writes tens of
    thousands of rows a batch, and PostgreSQL checked such a key row by row, about
    half the cost of the write. The rollup writer checks (and on PostgreSQL locks)
    the ids a batch names once, with one query per table referred to
    (core.ingest.rollup_writer.check_references)."""

    sum: Decimal = decimal_field()
    count: int = 0
    min: Decimal | None = decimal_field(None, nullable=True)
    max: Decimal | None = decimal_field(None, nullable=True)
    last: Decimal | None = decimal_field(None, nullable=True)
    last_at: datetime | None = time_field(default=None, nullable=True)


class HourlyRollup(HourAggregates, table=True):
    """Aggregates of every usage record for one customer, dimension and UTC hour."""

    __table_args__ = (UniqueConstraint("customer_id", "dimension_id", "hour"),)

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique key starts with it, and every extra index is
    # paid for on each of ingestion's writes.
    customer_id: int
    dimension_id: int = Field(index=True)
    hour: datetime = time_field(index=True)


class UsageIdRollup(HourAggregates, table=True):
    """HourlyRollup split by usage id, for customers with several (clusters, licences).

    A gauge (avg, peak, last) is combined per usage id first and then across the
    customer's ids (`Dimension.combine`): two clusters' storage adds up, it does not
    average. Written only for customers with more than one usage id."""

    __table_args__ = (UniqueConstraint("customer_id", "usage_id", "dimension_id", "hour"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int
    usage_id: str = Field(max_length=255)
    dimension_id: int
    hour: datetime = time_field(index=True)


class UnmatchedUsage(HourAggregates, table=True):
    """Usage under an id no customer has yet; moved into HourlyRollup once, when mapped."""

    __table_args__ = (UniqueConstraint("usage_id", "dimension_id", "hour"),)

    id: int | None = Field(default=None, primary_key=True)
    usage_id: str = Field(max_length=255)  # the unique key starts with it
    dimension_id: int = Field(index=True)
    hour: datetime = time_field()
    resolved_customer_id: int | None = Field(default=None, foreign_key="customer.id")
    resolved_at: datetime | None = time_field(default=None, nullable=True)
