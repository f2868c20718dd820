"""Shared column helpers for the SQLModel tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Field

from core.models.types import DecimalType, UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def decimal_field(default: Decimal | None = Decimal(0), **kwargs: Any) -> Any:
    """A Decimal column (exact on both databases)."""
    return Field(default=default, sa_type=DecimalType, **kwargs)


def time_field(**kwargs: Any) -> Any:
    """A UTC-aware timestamp column."""
    return Field(sa_type=UTCDateTime, **kwargs)


def created_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)
