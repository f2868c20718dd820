"""The invoice document: plain data with exact Decimals, stored as JSON with amounts as text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.billing.pricing import TierCharge

ZERO = Decimal(0)


class LineKind:
    RECURRING = "recurring"
    USAGE = "usage"
    MINIMUM = "minimum"  # the true-up to the plan's minimum commitment


@dataclass(frozen=True)
class InvoiceLine:
    """A line. Usage lines: `quantity` over the month, of which `prepaid` is covered by the
    contract's entitlement and `included` by the plan; `billable` is what was priced."""

    kind: str
    description: str
    amount: Decimal
    dimension: str | None = None
    unit: str = ""
    aggregation: str = ""
    quantity: Decimal = ZERO
    prepaid: Decimal = ZERO
    included: Decimal = ZERO
    billable: Decimal = ZERO
    price_model: str = ""
    unit_price: Decimal | None = None
    tiers: tuple[TierCharge, ...] = ()  # graduated: every tier entered; volume: one


@dataclass(frozen=True)
class InvoiceDoc:
    customer_id: int
    customer: str
    month: str  # YYYY-MM
    currency: str
    plan: str | None
    plan_name: str
    prices_from: str  # the plan version's first day, YYYY-MM-DD
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    minimum_commitment: Decimal
    true_up: Decimal
    total: Decimal
    status: str = "draft"  # draft | finalized
    usage_as_of: datetime | None = None  # a draft of a month not over yet
    finalized_at: datetime | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def usage_lines(self) -> list[InvoiceLine]:
        return [line for line in self.lines if line.kind == LineKind.USAGE]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals and datetimes as text, so nothing passes through float."""
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InvoiceDoc:
        values = _typed(cls, data)
        values["lines"] = tuple(_line(line) for line in data["lines"])
        values["notes"] = tuple(data.get("notes", ()))
        return cls(**values)


def _line(data: dict[str, Any]) -> InvoiceLine:
    values = _typed(InvoiceLine, data)
    values["tiers"] = tuple(TierCharge(**_typed(TierCharge, t)) for t in data.get("tiers", ()))
    return InvoiceLine(**values)


_DECIMALS = {
    "amount",
    "quantity",
    "prepaid",
    "included",
    "billable",
    "unit_price",
    "up_to",
    "flat_fee",
    "subtotal",
    "minimum_commitment",
    "true_up",
    "total",
}
_TIMES = {"usage_as_of", "finalized_at"}


def _typed(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data or f.name in ("lines", "tiers", "notes"):
            continue
        value = data[f.name]
        if value is not None and f.name in _DECIMALS:
            value = Decimal(value)
        elif value is not None and f.name in _TIMES:
            value = datetime.fromisoformat(value)
        values[f.name] = value
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
