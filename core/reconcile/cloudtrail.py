"""The CloudTrail adapter: the BatchMeterUsage calls AWS logged, read back with LookupEvents.

The boto3 client is built by the composition root with a timeout and adaptive retries
(LookupEvents is limited to 2 calls a second) and handed in. CloudTrail's event history
keeps 90 days: a window reaching further back is cut, and the cut is said, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import ExternalServiceError

KEPT = timedelta(days=90)
EVENT_NAME = "BatchMeterUsage"
FIXES = {
    "AccessDeniedException": "the AWS credentials may not read CloudTrail: allow "
    "cloudtrail:LookupEvents",
    "ThrottlingException": "CloudTrail is still throttling after retries; run it again later",
}


@dataclass(frozen=True)
class TrailEvent:
    """One logged call: its id, when, who made it and CloudTrail's JSON document."""

    event_id: str
    at: datetime
    username: str
    document: str


class CloudTrailReader:
    """Reads the BatchMeterUsage events of a time window, every page."""

    def __init__(self, boto_client: Any) -> None:
        self._boto = boto_client

    def metering_calls(
        self, start: datetime, end: datetime, *, now: datetime
    ) -> Iterator[TrailEvent]:
        """Events logged in [start, end], clipped to CloudTrail's 90 days before `now`."""
        attribute = {"AttributeKey": "EventName", "AttributeValue": EVENT_NAME}
        params = {
            "LookupAttributes": [attribute],
            "StartTime": max(start, now - KEPT),
            "EndTime": min(end, now),
        }
        try:
            for page in self._boto.get_paginator("lookup_events").paginate(**params):
                for event in page.get("Events", []):
                    yield _event(event)
        except (ClientError, BotoCoreError) as exc:
            raise _failure(exc) from None


def kept_since(now: datetime) -> datetime:
    """The oldest moment CloudTrail's event history still holds."""
    return now - KEPT


def _event(event: dict[str, Any]) -> TrailEvent:
    return TrailEvent(
        event_id=str(event.get("EventId", "")),
        at=event["EventTime"],
        username=str(event.get("Username", "")),
        document=str(event.get("CloudTrailEvent", "{}")),
    )


def _failure(exc: Exception) -> ExternalServiceError:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        return ExternalServiceError(
            f"CloudTrail LookupEvents: {code}: {FIXES.get(code, error.get('Message', ''))}"
        )
    return ExternalServiceError(f"CloudTrail LookupEvents: {type(exc).__name__}")
