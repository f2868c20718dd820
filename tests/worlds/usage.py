"""Usage as ingestion leaves it: one hour's rollup of a customer's dimension.

A plans file says nothing of usage, so worlds write it as rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.models import HourlyRollup


def rollup(
    customer_id: int | None,
    dimension_id: int | None,
    hour: datetime,
    total: Decimal,
    count: int = 1,
) -> HourlyRollup:
    """`count` records adding up to `total` in the hour, each of the same quantity."""
    each = total / count
    return HourlyRollup(
        customer_id=customer_id or 0,
        dimension_id=dimension_id or 0,
        hour=hour,
        sum=total,
        count=count,
        min=each,
        max=each,
        last=each,
        last_at=hour,
    )
