"""What a pass maps records with, read once per pass: dimension keys, usage ids, the
field names. Nothing here loads Polars (see pipeline.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from core.customers.lookup import alias_map
from core.ingest.read.records import FIELDS, default_fields
from core.models import Dimension, FieldMapping

Progress = Callable[[int], None]  # told the bytes read as a pass goes


@dataclass(frozen=True)
class Context:
    """What a pass maps records with: dimension keys, usage ids and the field names."""

    dimensions: dict[str, int]
    aliases: dict[str, int]
    fields: dict[str, str]
    now: datetime
    max_age: timedelta
    several_ids: frozenset[str] = frozenset()  # usage ids of customers with more than one


def load_context(session: Session, *, now: datetime, max_age: timedelta) -> Context:
    # Lowest id wins if two products share a dimension key.
    rows = session.execute(
        select(col(Dimension.key), col(Dimension.id)).order_by(col(Dimension.id).desc())
    )
    mapping = session.execute(
        select(FieldMapping).where(col(FieldMapping.name) == "default")
    ).scalar_one_or_none()
    fields = default_fields()
    if mapping is not None:
        fields |= {name: value for name, value in mapping.fields.items() if name in FIELDS}
    aliases = alias_map(session)
    dimensions = {key: dim_id for key, dim_id in rows}
    return Context(dimensions, aliases, fields, now, max_age, several_ids(aliases))


def several_ids(aliases: dict[str, int]) -> frozenset[str]:
    """The usage ids of customers that have more than one."""
    per_customer = Counter(aliases.values())
    return frozenset(usage_id for usage_id, c in aliases.items() if per_customer[c] > 1)
