"""Reading CloudTrail's BatchMeterUsage documents into records (pure, no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.reconcile.cloudtrail import TrailEvent
from core.reconcile.trail import received_records

AT = datetime(2026, 11, 22, 2, 5, tzinfo=UTC)
HOUR = datetime(2026, 11, 22, 1, tzinfo=UTC)


def event(request: dict, response: dict | None) -> TrailEvent:
    document = {"requestParameters": request, "responseElements": response}
    return TrailEvent("ev-1", AT, "meterbot", json.dumps(document))


@pytest.mark.parametrize(
    "stamp",
    ["Nov 22, 2026, 1:15:00 AM", "Nov 22, 2026 1:15:00 AM", "2026-11-22T01:15:00Z",
     "2026-11-22T01:15:00", 1795310100, 1795310100000],
)  # fmt: skip
def test_timestamps_in_each_form_give_the_metering_hour(stamp):
    record = {"timestamp": stamp, "customerIdentifier": "c", "dimension": "d", "quantity": 3}
    result = {"usageRecord": record, "status": "Success", "meteringRecordId": "mr-1"}
    [received] = received_records(event({"productCode": "p"}, {"results": [result]}))
    assert (received.hour, received.quantity, received.scope) == (HOUR, Decimal(3), "p")


def test_licence_records_unprocessed_ones_and_member_case():
    licensed = {
        "Timestamp": "2026-11-22T01:00:00Z",
        "CustomerAWSAccountId": "111122223333",
        "LicenseArn": "arn:l",
        "Dimension": "seats",
        "QuantityAsDecimal": "2.500000",
    }
    answer = {"Results": [{"UsageRecord": licensed, "Status": "Success"}],
              "UnprocessedRecords": [dict(licensed, Dimension="gpu")]}  # fmt: skip
    first, second = received_records(event({"UsageRecords": [licensed]}, answer))
    assert (first.customer_ref, first.scope, first.quantity) == (
        "111122223333",
        "arn:l",
        Decimal("2.5"),
    )
    assert (second.dimension, second.status, second.metering_record_id) == (
        "gpu",
        "Unprocessed",
        None,
    )


def test_a_document_that_cannot_be_read_gives_no_records():
    assert received_records(TrailEvent("ev", AT, "x", "{not json")) == []
    assert received_records(event({}, None)) == []
    odd = {"usageRecord": {"timestamp": "yesterday", "dimension": "d", "customerIdentifier": "c"}}
    assert received_records(event({}, {"results": [odd]})) == []
