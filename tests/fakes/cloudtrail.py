"""A local stand-in for CloudTrail's LookupEvents, holding BatchMeterUsage calls.

moto 5.2 does not implement LookupEvents, so this speaks what boto3 sends (AWS JSON 1.1,
`X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`),
each request and answer checked against botocore's model (tests/fakes/aws_json). Like
CloudTrail's event history it keeps 90 days, answers newest first, pages with NextToken
(MaxResults at most 50), takes one lookup attribute and filters by StartTime/EndTime.

Each event's `CloudTrailEvent` is the JSON document CloudTrail stores: the call's
`requestParameters` and `responseElements` with camelCase member names. Feed it from the
Marketplace stand-in so it holds exactly what that stand-in answered:

    marketplace.trail = trail.record_batch_meter_usage
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.aws_json import AwsError, AwsJsonServer

KEPT = timedelta(days=90)
ATTRIBUTES = {"EventName": "EventName", "EventSource": "EventSource", "Username": "Username"}


def camel(value: Any) -> Any:
    """AWS's member names as CloudTrail writes them: first letter lower-cased."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def java_time(stamp: float) -> str:
    """CloudTrail renders the metering records' Timestamp the way Java formats dates."""
    moment = datetime.fromtimestamp(stamp, UTC)
    return moment.strftime("%b %-d, %Y, %-I:%M:%S %p")


class CloudTrailStandIn(AwsJsonServer):
    SERVICE = "cloudtrail"
    CONTENT_TYPE = "application/x-amz-json-1.1"
    ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_CLOUDTRAIL"

    def __init__(self, *, page_size: int = 50) -> None:
        super().__init__()
        self.page_size = page_size
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.events: list[dict[str, Any]] = []  # LookupEvents' Event shape, oldest first

    # -- what happened -------------------------------------------------------------------
    def record_batch_meter_usage(
        self, request: dict[str, Any], answer: dict[str, Any], username: str = "meterbot"
    ) -> None:
        """One BatchMeterUsage call as CloudTrail logs it (wire JSON in, wire JSON out)."""
        parameters = camel(request)
        elements = camel(answer)
        for record in parameters["usageRecords"]:
            record["timestamp"] = java_time(record["timestamp"])
        for item in elements.get("results", []):
            item["usageRecord"]["timestamp"] = java_time(item["usageRecord"]["timestamp"])
        for record in elements.get("unprocessedRecords", []):
            record["timestamp"] = java_time(record["timestamp"])
        self.add_event("BatchMeterUsage", parameters, elements, username=username)

    def add_event(
        self,
        name: str,
        parameters: dict[str, Any],
        elements: dict[str, Any] | None,
        *,
        username: str = "meterbot",
        at: datetime | None = None,
    ) -> str:
        moment = at or self.clock()
        event_id = str(uuid.uuid4())
        document = {
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "userName": username},
            "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "metering-marketplace.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "requestParameters": parameters,
            "responseElements": elements,
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
        }
        with self._lock:
            self.events.append(
                {
                    "EventId": event_id,
                    "EventName": name,
                    "ReadOnly": "false",
                    "EventTime": moment.timestamp(),
                    "EventSource": document["eventSource"],
                    "Username": username,
                    "Resources": [],
                    "CloudTrailEvent": json.dumps(document),
                }
            )
        return event_id

    def forget(self, metering_record_id: str) -> None:
        """Drop the record with this id from every event (a record AWS has no trace of)."""
        for event in self.events:
            document = json.loads(event["CloudTrailEvent"])
            elements = document.get("responseElements") or {}
            kept = [
                r
                for r in elements.get("results", [])
                if r.get("meteringRecordId") != (metering_record_id)
            ]
            if len(kept) != len(elements.get("results", [])):
                records = [r["usageRecord"] for r in kept]
                elements["results"] = kept
                document["requestParameters"]["usageRecords"] = records
                event["CloudTrailEvent"] = json.dumps(document)

    # -- LookupEvents ---------------------------------------------------------------------
    def op_LookupEvents(self, request: dict[str, Any]) -> dict[str, Any]:
        attributes = request.get("LookupAttributes", [])
        if len(attributes) > 1:
            raise AwsError("InvalidLookupAttributesException", "one lookup attribute at most")
        now = self.clock().timestamp()
        start = max(request.get("StartTime", 0), now - KEPT.total_seconds())
        end = request.get("EndTime", now)
        if start > end:
            raise AwsError("InvalidTimeRangeException", "StartTime is after EndTime")
        found = [e for e in reversed(self.events) if start <= e["EventTime"] <= end]
        for attribute in attributes:
            field = ATTRIBUTES.get(attribute["AttributeKey"])
            if field is None:
                raise AwsError("InvalidLookupAttributesException", "attribute not served here")
            found = [e for e in found if e[field] == attribute["AttributeValue"]]
        return self._page(request, found)

    def _page(self, request: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
        size = min(request.get("MaxResults", 50), self.page_size)
        token = request.get("NextToken", "0")
        if not token.isdigit() or int(token) > len(events):
            raise AwsError("InvalidNextTokenException", "invalid NextToken")
        first = int(token)
        answer: dict[str, Any] = {"Events": events[first : first + size]}
        if first + size < len(events):
            answer["NextToken"] = str(first + size)
        return answer
