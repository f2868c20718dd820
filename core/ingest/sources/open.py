"""The usage source METERBOT_USAGE_URL names: an S3 prefix or a local folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.ingest.sources.base import UsageSource
from core.ingest.sources.local import LocalSource
from core.ingest.sources.s3 import S3Source

if TYPE_CHECKING:
    from core.ingest.sources.s3_get import S3Getter

# S3's rules for a bucket name (3-63 lower-case letters, digits, dots and hyphens).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def open_source(
    usage_url: str, *, s3_client: Any, lookback_days: int = 3, s3_getter: S3Getter | None = None
) -> UsageSource:
    """The source for METERBOT_USAGE_URL: `s3://bucket/prefix/` or a local folder; small
    S3 objects are fetched through `s3_getter` when given, else through `s3_client`."""
    if usage_url.startswith("s3://"):
        bucket, _, prefix = usage_url.removeprefix("s3://").partition("/")
        if not _BUCKET.match(bucket):
            raise ConfigError(f"usage source {usage_url!r}: expected s3://bucket/prefix/")
        return S3Source(s3_client, bucket, prefix, lookback_days=lookback_days, getter=s3_getter)
    scheme, found, _ = usage_url.partition("://")
    if found and scheme != "file":
        raise ConfigError(f"usage source {usage_url!r}: expected s3://bucket/prefix/ or a folder")
    path = usage_url.removeprefix("file://")
    return LocalSource(Path(path).expanduser())
