"""Lifecycle events from EventBridge (source aws.agreement-marketplace), as plain data.

An SQS message body is the EventBridge envelope: `id`, `detail-type`, `source`, `time`
and `detail` (agreement.id, license.arn, acceptor.accountId). Events carry ids, not
terms: the consumer re-reads the agreement. Both the `- Proposer` and `- Manufacturer`
variants of a detail-type mean the same here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SOURCE = "aws.agreement-marketplace"


class EventKind(StrEnum):
    CREATED = "Purchase Agreement Created"
    AMENDED = "Purchase Agreement Amended"
    ENDED = "Purchase Agreement Ended"
    LICENSE_UPDATED = "License Updated"
    LICENSE_DEPROVISIONED = "License Deprovisioned"


# The first of these two starts the final hour of metering (MARKETPLACE.md, Lifecycle).
ENDING = {EventKind.ENDED, EventKind.LICENSE_DEPROVISIONED}


class UnreadableEvent(ValueError):
    """The message is not an EventBridge event meterbot can use; it is set aside."""


@dataclass(frozen=True)
class LifecycleEvent:
    event_id: str
    detail_type: str
    kind: EventKind | None  # None: a detail-type meterbot does not act on
    time: datetime
    agreement_id: str | None
    license_arn: str | None
    account_id: str | None


def parse_event(body: str) -> LifecycleEvent:
    try:
        event = json.loads(body)
    except json.JSONDecodeError:
        raise UnreadableEvent("not JSON") from None
    if not isinstance(event, dict) or not event.get("id"):
        raise UnreadableEvent("not an EventBridge event (no id)")
    if event.get("source") != SOURCE:
        raise UnreadableEvent(f"from {event.get('source')!r}, not {SOURCE}")
    detail: dict[str, Any] = event.get("detail") or {}
    detail_type = str(event.get("detail-type", ""))
    return LifecycleEvent(
        event_id=str(event["id"]),
        detail_type=detail_type,
        kind=_kind(detail_type),
        time=_time(event.get("time")),
        agreement_id=(detail.get("agreement") or {}).get("id"),
        license_arn=(detail.get("license") or {}).get("arn"),
        account_id=(detail.get("acceptor") or {}).get("accountId"),
    )


def _kind(detail_type: str) -> EventKind | None:
    base = detail_type.rsplit(" - ", 1)[0]
    return next((kind for kind in EventKind if kind.value == base), None)


def _time(text: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise UnreadableEvent(f"bad time {text!r}") from None
