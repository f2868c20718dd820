"""A local stand-in for the AWS Marketplace Metering Service that enforces AWS's rules.

A real HTTP server on 127.0.0.1 (tests/fakes/aws_json.StandInServer) speaking AWS JSON
1.1 for `AWSMPMeteringService.BatchMeterUsage`, so a real boto3 client pointed at it with
`endpoint_url` (or AWS_ENDPOINT_URL_MARKETPLACE_METERING) exercises the whole path.
It enforces MARKETPLACE.md: at most 25 records, one model per call (ProductCode xor
LicenseArn) and one product per call, exactly one well-formed quantity per record,
the 24-hour window and the month-end 06:00 UTC cut-off (whole call refused), identity
(customer, dimension, hour) per product or licence with quantities compared by value,
unknown customers, products, dimensions and licences. ResolveCustomer turns a
registration token (`issue_token`) into the buyer's ids, refusing unknown and expired
tokens as AWS does. Faults can be injected: throttling
above N calls a second, 500s, UnprocessedRecords, latency, and dropping the connection
after processing (a crash between the call and the ledger update).

    with MarketplaceStandIn() as mp:             # or: async with MarketplaceStandIn() as mp
        mp.add_product("prod-1", ["storage", "api_calls"])
        mp.subscribe("prod-1", "cust-a")          # CustomerIdentifier model
        mp.add_license("prod-1", LICENSE_ARN, "123456789012")  # CustomerAWSAccountId model
        mp.clock = lambda: datetime(2026, 11, 22, 12, 5, tzinfo=UTC)
        client = mp.boto_client()                 # boto3, retries off, dummy credentials
        ...
        assert mp.billed() == {("prod-1", "cust-a", "storage", hour): Decimal("1.5")}
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.fakes.aws_json import AwsError, StandInServer

QUANTITY = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?$")
ACCOUNT_ID = re.compile(r"^[0-9]{1,255}$")
LICENSE_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:"
    r"[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$"
)
TARGET = "AWSMPMeteringService.BatchMeterUsage"
RESOLVE = "AWSMPMeteringService.ResolveCustomer"
MAX_RECORDS = 25
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Billed:
    """One accepted record: what the seller will be paid for."""

    scope: str  # the ProductCode, or the LicenseArn
    customer: str  # CustomerIdentifier, or CustomerAWSAccountId
    dimension: str
    hour: datetime
    quantity: Decimal
    record_id: str


@dataclass
class _Product:
    dimensions: set[str]
    customers: set[str] = field(default_factory=set)


class MarketplaceStandIn(StandInServer):
    """The service at `endpoint_url`. Everything it accepted is in `accepted`."""

    SERVICE = "meteringmarketplace"
    CONTENT_TYPE = "application/x-amz-json-1.1"
    ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_MARKETPLACE_METERING"

    def __init__(self, *, latency: float = 0.0, throttle_above: int | None = None) -> None:
        self.latency = latency
        self.throttle_above = throttle_above  # calls per second (sliding 1 s window), like AWS
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.accepted: list[Billed] = []
        self.calls = 0  # requests received, throttled or not
        self.throttled = 0
        self.requests: list[dict[str, Any]] = []  # every request body, in arrival order
        # Told of every answered BatchMeterUsage call (a CloudTrail stand-in logs them).
        self.trail: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
        self._products: dict[str, _Product] = {}
        self._licenses: dict[str, tuple[str, str]] = {}  # arn -> (product code, account id)
        self._tokens: dict[str, tuple[dict[str, Any], datetime]] = {}  # -> (answer, expiry)
        self._identity: dict[tuple[str, str, str, datetime], Billed] = {}
        self._window: deque[float] = deque()
        self._internal_errors = 0
        self._drops = 0
        self._script: deque[str] = deque()  # faults for the next calls, in order
        self._unprocessed: dict[tuple[str, str], int] = {}  # (customer, dimension) -> times
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- catalogue -------------------------------------------------------------------
    def add_product(self, code: str, dimensions: list[str]) -> None:
        self._products[code] = _Product(set(dimensions))

    def subscribe(self, code: str, customer_identifier: str) -> None:
        self._products[code].customers.add(customer_identifier)

    def add_license(self, code: str, license_arn: str, aws_account_id: str) -> None:
        self._licenses[license_arn] = (code, aws_account_id)

    def issue_token(
        self,
        token: str,
        *,
        product_code: str,
        customer_identifier: str,
        aws_account_id: str,
        license_arn: str,
        agreement_id: str,
        valid_for: timedelta = timedelta(hours=1),
    ) -> None:
        """A registration token, as AWS posts it to the fulfillment URL on a purchase."""
        answer = {
            "CustomerIdentifier": customer_identifier,
            "ProductCode": product_code,
            "CustomerAWSAccountId": aws_account_id,
            "LicenseArn": license_arn,
            "Metadata": {"AgreementId": agreement_id},
        }
        self._tokens[token] = (answer, self.clock() + valid_for)

    # -- faults ----------------------------------------------------------------------
    def fail_next(self, calls: int = 1) -> None:
        """The next `calls` requests answer InternalServiceErrorException (HTTP 500)."""
        self._internal_errors += calls

    def drop_after_processing(self, calls: int = 1) -> None:
        """The next `calls` requests are processed, then the connection is cut unanswered."""
        self._drops += calls

    def script(self, *faults: str) -> None:
        """The next calls meet these faults in order: 'drop' (processed, answer lost),
        'throttle', 'error' (HTTP 500, not processed) or 'ok'; then the usual behaviour."""
        assert set(faults) <= {"drop", "throttle", "error", "ok"}, faults
        self._script.extend(faults)

    def leave_unprocessed(self, customer: str, dimension: str, times: int = 1) -> None:
        """Return this customer's record for `dimension` as UnprocessedRecords `times` times."""
        self._unprocessed[(customer, dimension)] = times

    # -- what was billed --------------------------------------------------------------
    def billed(self) -> dict[tuple[str, str, str, datetime], Decimal]:
        """(scope, customer, dimension, hour) -> the quantity that stands."""
        with self._lock:
            return {key: b.quantity for key, b in self._identity.items()}

    def total(self, customer: str, dimension: str) -> Decimal:
        return sum(
            (
                b.quantity
                for b in self.accepted
                if (b.customer, b.dimension) == (customer, dimension)
            ),
            Decimal(0),
        )

    # -- the service -------------------------------------------------------------------
    def respond(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[Any, bool]:
        with self._lock:
            self.calls += 1
            fault = self._script.popleft() if self._script else self._counted_fault()
            if fault == "throttle":
                self.throttled += 1
                raise AwsError("ThrottlingException", "Rate exceeded")
            if fault == "error":
                raise AwsError("InternalServiceErrorException", "internal error", 500)
        if self.latency:
            time.sleep(self.latency)
        if target == RESOLVE:
            return self._resolve_customer(json.loads(body)), False
        if target != TARGET:
            raise AwsError("UnknownOperationException", f"unknown target {target}")
        if len(body) >= MAX_BODY:
            raise AwsError("ValidationException", "request must be under 1 MB")
        request = json.loads(body)
        with self._lock:
            self.requests.append(request)
            answer = self._batch_meter_usage(request)
            if self.trail is not None:
                self.trail(request, answer)
            drop = fault == "drop" or (fault is None and self._drops > 0)
            self._drops -= 1 if drop and fault is None else 0
        return answer, drop

    def _resolve_customer(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("RegistrationToken")
        if not isinstance(token, str) or not token:
            raise AwsError("ValidationException", "RegistrationToken is required")
        if token not in self._tokens:
            raise AwsError("InvalidTokenException", "Registration token is invalid")
        answer, expires = self._tokens[token]
        if self.clock() >= expires:
            raise AwsError("ExpiredTokenException", "Registration token has expired")
        return answer

    def _counted_fault(self) -> str | None:
        """The fault the quota and the fail_next count call for."""
        if self._over_quota():
            return "throttle"
        if self._internal_errors:
            self._internal_errors -= 1
            return "error"
        return None

    def _over_quota(self) -> bool:
        if self.throttle_above is None:
            return False
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.throttle_above:
            return True
        self._window.append(now)
        return False

    def _batch_meter_usage(self, request: dict[str, Any]) -> dict[str, Any]:
        records = request.get("UsageRecords")
        if not isinstance(records, list) or not records or len(records) > MAX_RECORDS:
            raise AwsError("ValidationException", f"UsageRecords must hold 1..{MAX_RECORDS}")
        scopes = [self._scope(request, record) for record in records]
        if len({product for product, _ in scopes}) > 1:
            raise AwsError("ValidationException", "one BatchMeterUsage call is for one product")
        for record, (product, _) in zip(records, scopes, strict=True):
            self._check_record(record)
            if record["Dimension"] not in self._products[product].dimensions:
                raise AwsError(
                    "InvalidUsageDimensionException", f"unknown dimension {record['Dimension']}"
                )
        results, unprocessed = [], []
        for record, (_, scope) in zip(records, scopes, strict=True):
            if self._take_unprocessed(record):
                unprocessed.append(record)
            else:
                results.append(self._meter(record, scope))
        return {"Results": results, "UnprocessedRecords": unprocessed}

    def _scope(self, request: dict[str, Any], record: dict[str, Any]) -> tuple[str, str]:
        """(product code, identity scope) of a record; refuses mixed or missing models."""
        code, arn = request.get("ProductCode"), record.get("LicenseArn")
        by_id, by_account = "CustomerIdentifier" in record, "CustomerAWSAccountId" in record
        if code is not None and (arn is not None or by_account):
            raise AwsError("ValidationException", "ProductCode and LicenseArn cannot be mixed")
        if code is not None:
            if not by_id:
                raise AwsError("ValidationException", "CustomerIdentifier required")
            if code not in self._products:
                raise AwsError("InvalidProductCodeException", f"unknown product code {code}")
            return code, code
        if by_id or arn is None or not by_account:
            raise AwsError("ValidationException", "LicenseArn + CustomerAWSAccountId required")
        if not ACCOUNT_ID.match(str(record["CustomerAWSAccountId"])):
            raise AwsError("ValidationException", "CustomerAWSAccountId must be digits")
        if not LICENSE_ARN.match(str(arn)):
            raise AwsError("ValidationException", f"malformed LicenseArn {arn!r}")
        if arn not in self._licenses:
            raise AwsError("InvalidLicenseException", f"unknown licence {arn}")
        return self._licenses[arn][0], arn

    def _check_record(self, record: dict[str, Any]) -> None:
        has_int, text = "Quantity" in record, record.get("QuantityAsDecimal")
        if has_int == (text is not None):
            raise AwsError("ValidationException", "exactly one of Quantity, QuantityAsDecimal")
        if text is not None and not (isinstance(text, str) and QUANTITY.match(text)):
            raise AwsError("ValidationException", f"malformed QuantityAsDecimal {text!r}")
        if has_int and not (
            isinstance(record["Quantity"], int) and 0 <= record["Quantity"] < 2**31
        ):
            raise AwsError("ValidationException", "Quantity must be 0..2147483647")
        if not 1 <= len(str(record.get("Dimension", ""))) <= 255:
            raise AwsError("ValidationException", "Dimension must be 1..255 characters")
        self._check_time(datetime.fromtimestamp(float(record["Timestamp"]), UTC))

    def _check_time(self, stamp: datetime) -> None:
        now = self.clock()
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        too_old = now - stamp >= timedelta(hours=24) or stamp > now
        past_cutoff = stamp < month_start and now >= month_start + timedelta(hours=6)
        if too_old or past_cutoff:
            raise AwsError(
                "TimestampOutOfBoundsException", f"timestamp {stamp:%FT%TZ} out of range"
            )

    def _take_unprocessed(self, record: dict[str, Any]) -> bool:
        key = (_customer(record), record["Dimension"])
        if self._unprocessed.get(key, 0) > 0:
            self._unprocessed[key] -= 1
            return True
        return False

    def _meter(self, record: dict[str, Any], scope: str) -> dict[str, Any]:
        customer, dimension = _customer(record), record["Dimension"]
        if scope in self._products:
            subscribed = customer in self._products[scope].customers
        else:
            subscribed = self._licenses[scope][1] == customer
        if not subscribed:
            return {"UsageRecord": record, "Status": "CustomerNotSubscribed"}
        stamp = datetime.fromtimestamp(float(record["Timestamp"]), UTC)
        hour = stamp.replace(minute=0, second=0, microsecond=0)
        quantity = Decimal(record.get("QuantityAsDecimal") or record.get("Quantity") or 0)
        key = (scope, customer, dimension, hour)
        known = self._identity.get(key)
        if known is not None:
            if known.quantity != quantity:
                return {"UsageRecord": record, "Status": "DuplicateRecord"}
            return {"UsageRecord": record, "Status": "Success", "MeteringRecordId": known.record_id}
        billed = Billed(scope, customer, dimension, hour, quantity, f"mr-{next(self._ids):08d}")
        self._identity[key] = billed
        self.accepted.append(billed)
        return {"UsageRecord": record, "Status": "Success", "MeteringRecordId": billed.record_id}


def _customer(record: dict[str, Any]) -> str:
    return str(record.get("CustomerIdentifier") or record.get("CustomerAWSAccountId"))
