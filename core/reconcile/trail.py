"""What AWS received, per usage record, read out of CloudTrail's BatchMeterUsage events.

CloudTrail stores each call as a JSON document whose `requestParameters` and
`responseElements` hold the call's members with camelCase names. A record answered in
`results` carries its status and MeteringRecordId; one in `unprocessedRecords` was not
handled. Member names are compared without regard to case, and the records' timestamps
are read in the forms CloudTrail is seen to write (Java's "Nov 22, 2026, 1:00:00 AM",
ISO 8601, epoch seconds), so a change of rendering does not lose records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.periods import hour_floor
from core.reconcile.cloudtrail import TrailEvent

JAVA_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M:%S %p")
UNPROCESSED = "Unprocessed"


@dataclass(frozen=True)
class Received:
    """One usage record as AWS logged it, and what it answered."""

    event_id: str
    sent_at: datetime
    username: str
    customer_ref: str  # CustomerIdentifier or CustomerAWSAccountId
    scope: str  # the call's ProductCode or the record's LicenseArn
    dimension: str
    hour: datetime
    quantity: Decimal | None
    status: str  # Success | CustomerNotSubscribed | DuplicateRecord | Unprocessed
    metering_record_id: str | None


def received_records(event: TrailEvent) -> list[Received]:
    """Every record of one logged call; a document that cannot be read gives none."""
    try:
        document = json.loads(event.document)
    except ValueError:
        return []
    request = _folded(document.get("requestParameters") or {})
    answer = _folded(document.get("responseElements") or {})
    product = str(request.get("productcode") or "")
    records = []
    for item in answer.get("results") or []:
        item = _folded(item)
        record = _folded(item.get("usagerecord") or {})
        status = str(item.get("status") or "")
        records.append(_received(event, record, product, status, item.get("meteringrecordid")))
    for record in answer.get("unprocessedrecords") or []:
        records.append(_received(event, _folded(record), product, UNPROCESSED, None))
    return [r for r in records if r is not None]


def _received(
    event: TrailEvent, record: dict[str, Any], product: str, status: str, record_id: Any
) -> Received | None:
    hour = _hour(record.get("timestamp"))
    customer = record.get("customeridentifier") or record.get("customerawsaccountid")
    if hour is None or not customer or not record.get("dimension"):
        return None
    return Received(
        event_id=event.event_id,
        sent_at=event.at,
        username=event.username,
        customer_ref=str(customer),
        scope=str(record.get("licensearn") or product),
        dimension=str(record["dimension"]),
        hour=hour,
        quantity=_quantity(record),
        status=status,
        metering_record_id=str(record_id) if record_id else None,
    )


def _folded(value: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def _quantity(record: dict[str, Any]) -> Decimal | None:
    raw = record.get("quantityasdecimal", record.get("quantity"))
    try:
        return Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None


def _hour(raw: Any) -> datetime | None:
    """The metering hour of a logged timestamp (AWS ignores minutes and seconds)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return hour_floor(datetime.fromtimestamp(raw / 1000 if raw > 1e11 else raw, UTC))
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return hour_floor(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except ValueError:
        pass
    for form in JAVA_FORMATS:
        try:
            return hour_floor(datetime.strptime(text, form).replace(tzinfo=UTC))
        except ValueError:
            continue
    return None
