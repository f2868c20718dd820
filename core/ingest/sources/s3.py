"""S3 as a usage source: bounded discovery over date-partitioned prefixes.

Listing a whole bucket every pass costs more as the bucket grows, and a
`StartAfter` watermark misses an object whose key sorts before keys already
seen (a late upload into an earlier hour). So when the keys under the prefix
are partitioned by day (`2026/11/22/...`, `2026-11-22/...`, `dt=2026-11-22/...`
or `year=2026/month=11/day=22/...`), a pass lists only the days of a trailing
window (`lookback_days` before `now`, through tomorrow) in full and lets the
pipeline compare them with what it has counted. A flat prefix (no date
partitions) falls back to a full listing, and says so (`full_listing`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import ExternalServiceError
from core.ingest.sources.base import ObjectRef, OpenedObject

if TYPE_CHECKING:
    from core.ingest.sources.s3_get import S3Getter

DayPrefix = Callable[[date], str]

# How the first path segment below the prefix looks -> the prefix of one whole day.
_LAYOUTS: list[tuple[re.Pattern[str], DayPrefix]] = [
    (re.compile(r"^\d{4}/$"), lambda d: f"{d:%Y/%m/%d}/"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}/$"), lambda d: f"{d:%Y-%m-%d}/"),
    (re.compile(r"^dt=\d{4}-\d{2}-\d{2}/$"), lambda d: f"dt={d:%Y-%m-%d}/"),
    (re.compile(r"^date=\d{4}-\d{2}-\d{2}/$"), lambda d: f"date={d:%Y-%m-%d}/"),
    (re.compile(r"^year=\d{4}/$"), lambda d: f"year={d:%Y}/month={d:%m}/day={d:%d}/"),
]


class S3Source:
    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str,
        *,
        lookback_days: int = 3,
        getter: S3Getter | None = None,
    ) -> None:
        self.client = client
        self.getter = getter  # small objects' GETs, when given (s3_get.py)
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.lookback_days = lookback_days
        self.full_listing = False

    @property
    def name(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def discover(self, *, now: datetime) -> Iterator[ObjectRef]:
        day_prefix = self._layout()
        self.full_listing = day_prefix is None
        if day_prefix is None:
            yield from self._list(self.prefix)
            return
        first = now.date() - timedelta(days=self.lookback_days)
        for offset in range(self.lookback_days + 2):
            yield from self._list(self.prefix + day_prefix(first + timedelta(days=offset)))

    def _layout(self) -> DayPrefix | None:
        """The day layout, judged from the first page of top-level folders (one call)."""
        page = self._call(
            self.client.list_objects_v2,
            Bucket=self.bucket,
            Prefix=self.prefix,
            Delimiter="/",
            MaxKeys=100,
        )
        for common in page.get("CommonPrefixes", []):
            segment = common["Prefix"][len(self.prefix) :]
            for pattern, day_prefix in _LAYOUTS:
                if pattern.match(segment):
                    return day_prefix
        return None

    def _list(self, prefix: str) -> Iterator[ObjectRef]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):
                        continue  # a console-created "folder"
                    yield ObjectRef(item["Key"], item["ETag"].strip('"'), int(item["Size"]))
        except (BotoCoreError, ClientError) as exc:
            raise ExternalServiceError(f"listing s3://{self.bucket}/{prefix}: {exc}") from exc

    def open(self, ref: ObjectRef) -> OpenedObject:
        getter = self.getter
        by_crt = getter and ref.size <= getter.max_bytes and getter.serves(self.bucket)
        client: Any = getter if by_crt else self.client
        # IfMatch: read exactly the version that was claimed, never a newer upload.
        response = self._call(
            client.get_object, Bucket=self.bucket, Key=ref.key, IfMatch=f'"{ref.etag}"'
        )
        return OpenedObject(
            stream=response["Body"], content_encoding=response.get("ContentEncoding")
        )

    def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise ExternalServiceError(f"S3 {method.__name__} s3://{self.bucket}: {exc}") from exc
