"""What is sold: products, their dimensions, plans and plan versions with prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, decimal_field, time_field


class Aggregation(StrEnum):
    """How a dimension's records roll up over a rating period."""

    SUM = "sum"
    AVG = "avg"  # mean over the period's hours (empty hours count as zero)
    PEAK = "peak"  # highest single record in the period
    COUNT = "count"  # number of records
    LAST = "last"  # the latest record by timestamp


class Combine(StrEnum):
    """How a gauge's figures of a customer's several usage ids (clusters) make one, per hour."""

    SUM = "sum"  # they add up: two clusters' storage is what both store
    MEAN = "mean"  # their mean: a utilisation ratio, a price level
    MAX = "max"  # the highest: a version, a tier reached anywhere


class RatingPeriod(StrEnum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


class PriceModel(StrEnum):
    PER_UNIT = "per_unit"
    GRADUATED = "graduated"  # each tier prices the units that fall in it
    VOLUME = "volume"  # the tier reached prices every unit


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=200)
    marketplace_product_code: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_field()


class Dimension(SQLModel, table=True):
    """A metered quantity. `key` is what usage records say; `marketplace_key` what AWS knows."""

    __table_args__ = (UniqueConstraint("product_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    key: str = Field(max_length=255, index=True)
    marketplace_key: str = Field(max_length=255)
    name: str = Field(max_length=200)
    unit: str = Field(default="unit", max_length=50)
    aggregation: str = Field(default=Aggregation.SUM, max_length=10)
    rating_period: str = Field(default=RatingPeriod.HOUR, max_length=10)
    # A gauge (avg, peak, last) is figured per usage id, then combined across the ids.
    combine: str = Field(default=Combine.SUM, max_length=10)
    # Raw record quantities are multiplied by unit_scale to get units (GB -> TB: 0.001).
    unit_scale: Decimal = decimal_field(Decimal(1))
    whole_units: bool = False
    # Above this a hand-entered hourly quantity is refused as implausible.
    max_quantity: Decimal | None = decimal_field(None, nullable=True)


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    product_id: int = Field(foreign_key="product.id", index=True)
    name: str = Field(max_length=200)
    currency: str = Field(default="USD", max_length=3)
    created_at: datetime = created_field()


class PlanVersion(SQLModel, table=True):
    """A plan's prices from `effective_from` on; later versions never rewrite earlier months."""

    __table_args__ = (UniqueConstraint("plan_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    effective_from: datetime = time_field()
    recurring_fee: Decimal = decimal_field()
    minimum_commitment: Decimal = decimal_field()
    # Hash of the version's content, so re-applying an unchanged file is a no-op.
    content_hash: str = Field(max_length=64)
    created_at: datetime = created_field()


class PlanPrice(SQLModel, table=True):
    """How one dimension is priced in one plan version.

    `tiers` is a list of {"up_to": "100" | null, "unit_price": "0.50", "flat_fee": "0"},
    amounts as strings so no float ever touches money.
    """

    __table_args__ = (UniqueConstraint("plan_version_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_version_id: int = Field(foreign_key="planversion.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    model: str = Field(default=PriceModel.PER_UNIT, max_length=20)
    unit_price: Decimal = decimal_field()
    included_quantity: Decimal = decimal_field()
    tiers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class FieldMapping(SQLModel, table=True):
    """How a seller's usage records name the four fields meterbot needs.

    `fields` maps meterbot's names (timestamp, customer, dimension, quantity) to the
    record's own (say ts, cluster_id, metric, value). Set by `meterbot plans apply`.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="default", unique=True, max_length=50)
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
