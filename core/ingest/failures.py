"""When reading or committing an object fails: retry it later, or park it as unreadable.

Passing trouble (S3 answering 5xx or throttling, a timeout, a dropped connection,
the database going away) is retried with a growing pause for as long as it lasts:
the object is fine and will be read once the outside world recovers. Any other
error is the object's own (a damaged gzip stream, a Parquet file that cannot be
opened, a line longer than 64 MB): after the same error `PARK_AFTER` times in a
row, retrying cannot help, so the object is parked as `unreadable` with its
reason, reported once, and left alone until someone takes it up again
(`meterbot ingest --retry KEY` or `--retry-unreadable`) after a fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import DBAPIError

from core.models.ingest import ObjectStatus

PARK_AFTER = 3  # the same non-passing error this many times in a row parks the object
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)
_THROTTLED = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout"}


class MissingReference(Exception):
    """Usage names a customer or dimension id the catalog lacks (no foreign key guards
    the rollups: the writer checks). Not the object's fault, and the catalog may gain
    the row, so it is passing trouble, as the foreign key's violation was."""


_PASSING = (BotoCoreError, DBAPIError, TimeoutError, ConnectionError, MissingReference)


@dataclass(frozen=True)
class NextStep:
    """What a failure leaves on the object's row."""

    status: ObjectStatus
    failures: int  # the same error in a row, this one included
    retry_after: datetime | None


def describe(exc: BaseException) -> str:
    """The error as stored and compared between attempts, and shown to people."""
    return f"{type(exc).__name__}: {exc}"[:2000]


def is_passing(exc: BaseException) -> bool:
    """Whether the error is the outside world's passing trouble rather than the object's."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ClientError):
            meta = seen.response.get("ResponseMetadata", {})
            code = seen.response.get("Error", {}).get("Code", "")
            return int(meta.get("HTTPStatusCode") or 0) >= 500 or code in _THROTTLED
        if isinstance(seen, _PASSING):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def next_step(
    *, error: str, passing: bool, previous_error: str | None, previous_failures: int, now: datetime
) -> NextStep:
    """Failed again (with a pause before the next try) or, the same error repeating, parked."""
    failures = previous_failures + 1 if error == previous_error else 1
    if not passing and failures >= PARK_AFTER:
        return NextStep(ObjectStatus.UNREADABLE, failures, None)
    return NextStep(ObjectStatus.FAILED, failures, now + pause(failures))


def pause(failures: int) -> timedelta:
    """None after a first failure (the next pass retries), then 1, 2, 4, ... minutes, at
    most an hour: a source in trouble is not hammered every pass."""
    if failures <= 1:
        return timedelta(0)
    return min(FIRST_PAUSE * 2 ** min(failures - 2, 10), LONGEST_PAUSE)
