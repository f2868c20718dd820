"""The Marketplace Metering adapter: BatchMeterUsage in batches, within quota, with retries.

Records are grouped by batch key (one product; the two identity models are never mixed
in one call, and a customer is never sent under both in one hour), 25 to a call. Calls
run on a small thread pool sharing one rate limiter below AWS's 10 calls a second;
throttling, 5xx and dropped connections are retried with exponential backoff and jitter.
Each record comes back with an outcome the ledger can act on; whether a failed call may
still have been processed is kept apart from whether it certainly was not.

boto3 is touched here only: the client is built by the composition root and handed in.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from core.errors import ConfigError
from core.marketplace.records import (
    BATCH_SIZE,
    DryRunClient,
    OnResults,
    Outcome,
    OutgoingRecord,
    RecordResult,
    Sender,
    SendStats,
    batches,
)
from core.models import MarketplaceModel

__all__ = [  # the records' names are still importable from here
    "BATCH_SIZE",
    "DryRunClient",
    "MeteringClient",
    "OnResults",
    "Outcome",
    "OutgoingRecord",
    "RateLimiter",
    "RecordResult",
    "SendStats",
    "Sender",
    "batches",
]  # fmt: skip
log = logging.getLogger(__name__)
HELD = "not sent: a configuration error stopped this product's sends in this pass"
RETRYABLE = {"ThrottlingException", "InternalServiceErrorException", "ServiceUnavailable"}
# Failures before the request left this machine: Marketplace certainly did not see it.
UNSENT = (EndpointConnectionError, ConnectTimeoutError, NoCredentialsError, ParamValidationError)
# Failures that another attempt cannot cure: reported at once instead of retried.
NOT_RETRIED = {
    NoCredentialsError: ("no-credentials", "no AWS credentials for boto3 (not sent)"),
    ParamValidationError: ("invalid-request", "botocore refused the request (not sent)"),
}
# Whole-call errors caused by one record's customer: split the call to find it.
RECORD_ERRORS = {"InvalidCustomerIdentifierException", "InvalidLicenseException"}
# Whole-call errors that no resend fixes: the product's sends stop until someone acts.
CONFIG_FIXES = {
    "InvalidProductCodeException": "the product code does not match Marketplace: "
    "check products[].marketplace_product_code in the plans file",
    "InvalidUsageDimensionException": "a dimension is not one the product was published "
    "with: check dimensions[].marketplace_key in the plans file",
    "InvalidCustomerIdentifierException": "the customer's CustomerIdentifier is unknown to "
    "Marketplace: correct it in Salesforce (AWS_Customer_Identifier__c)",
    "InvalidLicenseException": "the LicenseArn is wrong, not this customer's, or outside its "
    "activation period: correct AWS_License_Arn__c / AWS_Account_Id__c in Salesforce",
    "DisabledApiException": "BatchMeterUsage is disabled in this region: check AWS_DEFAULT_REGION",
    "InvalidTagException": "a usage allocation tag is invalid",
    "InvalidUsageAllocationsException": "usage allocations do not add up to the quantity",
    "AccessDeniedException": "the AWS credentials may not call BatchMeterUsage "
    "(aws-marketplace:BatchMeterUsage)",
    "ValidationException": "Marketplace refused the request as malformed",
}


class RateLimiter:
    """Evenly spaced call slots shared by every thread; a throttle pushes all slots back."""

    def __init__(self, rate: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)

    def back_off(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


NO_CREDENTIALS = (
    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with "
    "AWS_SESSION_TOKEN for temporary ones), or AWS_PROFILE for a profile in ~/.aws, or run "
    "with an IAM role; nothing was queued or sent"
)


def require_credentials() -> None:
    """Refuse a live pass at once when boto3 finds no credentials anywhere it looks
    (environment, profile files, IAM role), before anything is queued or called."""
    if boto3.session.Session().get_credentials() is None:
        raise ConfigError(NO_CREDENTIALS)


class MeteringClient:
    """BatchMeterUsage over a boto3 `meteringmarketplace` client.

    Give the boto3 client botocore retries of 1 attempt: retrying is done here, where
    throttles are counted and the shared rate limiter slows every thread at once.
    """

    dry_run = False

    def __init__(
        self,
        boto_client: Any,
        *,
        rate: float = 9.5,
        workers: int = 8,
        max_attempts: int = 8,
        base_delay: float = 0.2,
        max_delay: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._boto = boto_client
        self._limiter = RateLimiter(rate, sleep=sleep)
        self._workers = workers
        self._max_attempts = max_attempts
        self._base_delay, self._max_delay = base_delay, max_delay
        self._sleep = sleep

    def send(self, records: Sequence[OutgoingRecord], on_results: OnResults) -> SendStats:
        """Send every record; `on_results` is called in this thread after each call."""
        return self.send_waves([records], on_results)

    def send_waves(
        self, waves: Iterable[Sequence[OutgoingRecord]], on_results: OnResults
    ) -> SendStats:
        """Send wave after wave: the calls of one wave are under way while the caller
        prepares the next (the iterator runs in this thread, as does `on_results`)."""
        stats = SendStats()
        started = time.monotonic()
        held: set[str] = set()
        pending: set[Future[list[RecordResult]]] = set()
        with ThreadPoolExecutor(self._workers, thread_name_prefix="metering") as pool:
            for wave in waves:
                stats.add(records=len(wave))
                pending |= {pool.submit(self._send_batch, b, stats, held) for b in batches(wave)}
                pending = self._deliver(pending, on_results, block=False)
            while pending:
                pending = self._deliver(pending, on_results, block=True)
        stats.seconds = time.monotonic() - started
        return stats

    @staticmethod
    def _deliver(
        pending: set[Future[list[RecordResult]]], on_results: OnResults, *, block: bool
    ) -> set[Future[list[RecordResult]]]:
        done, still = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            on_results(future.result())
        return still

    def _send_batch(
        self,
        batch: list[OutgoingRecord],
        stats: SendStats,
        held: set[str],
        round: int = 0,
        maybe_billed: bool = False,
    ) -> list[RecordResult]:
        """`maybe_billed`: an earlier attempt for these records may have been processed, so
        no later failure may report them as certainly unbilled (they would be moved on)."""
        if batch[0].batch_key in held:
            return [RecordResult(r.ref, Outcome.HELD, error=HELD) for r in batch]
        code, answer, uncertain = self._call_with_retries(batch, stats)
        maybe_billed = maybe_billed or uncertain
        if answer is not None:
            results = _results(batch, answer)
            unprocessed = {x.ref for x in results if x.outcome is Outcome.NOT_PROCESSED}
            if not unprocessed or round + 1 >= self._max_attempts:
                return [_unknown_if(maybe_billed, x) for x in results]
            # UnprocessedRecords: a service-side hiccup; send just those again.
            stats.add(retries=1)
            self._sleep(self._delay(round + 1))
            again = [r for r in batch if r.ref in unprocessed]
            done = [x for x in results if x.ref not in unprocessed]
            return done + self._send_batch(again, stats, held, round + 1, maybe_billed)
        if code in RECORD_ERRORS and len(batch) > 1:
            middle = len(batch) // 2
            return self._send_batch(
                batch[:middle], stats, held, maybe_billed=maybe_billed
            ) + self._send_batch(batch[middle:], stats, held, maybe_billed=maybe_billed)
        return [_unknown_if(maybe_billed, x) for x in self._failed(batch, code, held)]

    def _failed(self, batch: list[OutgoingRecord], code: str, held: set[str]) -> list[RecordResult]:
        if code == "TimestampOutOfBoundsException":
            outcome, error = Outcome.OUT_OF_WINDOW, "Marketplace refused the timestamp as too old"
        elif code == "ThrottlingException":
            outcome, error = Outcome.NOT_PROCESSED, "still throttled after retries"
        elif code == "unsent":
            outcome, error = Outcome.NOT_PROCESSED, "could not reach Marketplace (not sent)"
        elif code in _NOT_RETRIED_ERRORS:
            outcome, error = Outcome.NOT_PROCESSED, _NOT_RETRIED_ERRORS[code]
        elif code in RETRYABLE or code.startswith(("http", "connection")):
            outcome, error = Outcome.UNKNOWN, f"outcome unknown after retries ({code})"
        else:
            if code not in RECORD_ERRORS:
                held.add(batch[0].batch_key)
            fix = CONFIG_FIXES.get(code, "see the AWS error")
            outcome, error = Outcome.CONFIG, f"{code}: {fix}"
        return [RecordResult(r.ref, outcome, error=error) for r in batch]

    def _call_with_retries(
        self, batch: list[OutgoingRecord], stats: SendStats
    ) -> tuple[str, dict[str, Any] | None, bool]:
        """(last error code, the answer or None, whether a failed attempt may have been
        processed). Codes: AWS's, 'http-5xx', 'connection', 'unsent'."""
        code, uncertain = "", False
        for attempt in range(self._max_attempts):
            if attempt:
                stats.add(retries=1)
                self._sleep(self._delay(attempt))
            self._limiter.acquire()
            stats.add(calls=1)
            try:
                return "", self._call(batch), uncertain
            except ClientError as exc:
                code, status = _error_code(exc)
                uncertain = uncertain or status >= 500 or code == "InternalServiceErrorException"
                if code == "ThrottlingException":
                    stats.add(throttles=1)
                    self._limiter.back_off(self._delay(attempt))
                if code not in RETRYABLE and status < 500:
                    return code, None, uncertain
            except UNSENT as exc:  # refused or timed out before the request went out
                if type(exc) in NOT_RETRIED:
                    log.error("BatchMeterUsage not sent: %s", exc)
                    return NOT_RETRIED[type(exc)][0], None, uncertain
                code = "unsent"
                log.warning("BatchMeterUsage could not connect: %s", exc)
            except BotoCoreError as exc:  # connection cut or timed out: outcome unknown
                code, uncertain = "connection", True
                log.warning("BatchMeterUsage connection problem: %s", exc)
        return code, None, uncertain

    def _call(self, batch: list[OutgoingRecord]) -> dict[str, Any]:
        params: dict[str, Any] = {"UsageRecords": [r.wire() for r in batch]}
        if batch[0].model != MarketplaceModel.LICENSE:
            params["ProductCode"] = batch[0].scope
        answer: dict[str, Any] = self._boto.batch_meter_usage(**params)
        return answer

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter (AWS's recommendation)."""
        ceiling = min(self._max_delay, self._base_delay * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


_NOT_RETRIED_ERRORS = dict(NOT_RETRIED.values())


def _error_code(exc: ClientError) -> tuple[str, int]:
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    code = str(exc.response.get("Error", {}).get("Code", "")) or f"http-{status}"
    return code, status


def _unknown_if(maybe_billed: bool, result: RecordResult) -> RecordResult:
    """A failure after an attempt that may have been billed is an unknown outcome."""
    certain = (Outcome.NOT_PROCESSED, Outcome.OUT_OF_WINDOW, Outcome.CONFIG)
    if not maybe_billed or result.outcome not in certain:
        return result
    error = f"outcome unknown: an earlier attempt may have been billed, then {result.error}"
    return RecordResult(result.ref, Outcome.UNKNOWN, error=error)


def _results(batch: list[OutgoingRecord], answer: dict[str, Any]) -> list[RecordResult]:
    """Map Marketplace's answer back to ledger rows; anything not answered was unprocessed."""
    by_identity = {_identity(r.wire()): r for r in batch}
    results: list[RecordResult] = []
    for item in answer.get("Results", []):
        record = by_identity.pop(_identity(item["UsageRecord"]), None)
        if record is not None:
            status = Outcome(item["Status"])
            results.append(RecordResult(record.ref, status, item.get("MeteringRecordId")))
    for record in by_identity.values():  # UnprocessedRecords, or silently missing
        results.append(RecordResult(record.ref, Outcome.NOT_PROCESSED, error="unprocessed"))
    return results


def _identity(record: dict[str, Any]) -> tuple[str, str, str, int]:
    customer = record.get("CustomerIdentifier") or record.get("CustomerAWSAccountId")
    stamp = record["Timestamp"]
    seconds = int(stamp.timestamp()) if isinstance(stamp, datetime) else int(stamp)
    return str(customer), str(record.get("LicenseArn", "")), str(record["Dimension"]), seconds


def build_sender(*, dry_run: bool, boto_client: Callable[[], Any]) -> Sender:
    """The sender settings ask for: a dry run builds no AWS client, else a MeteringClient.
    Build one per process (bot.app.Services.sender): its rate limiter must see every call."""
    return DryRunClient() if dry_run else MeteringClient(boto_client())
