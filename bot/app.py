"""The composition root: the one place that builds settings, the engine and the clients.

Everything is built on first use and handed down, so `meterbot --help` touches
nothing and tests can build a `Services` over their own settings.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from core.access import Admins
from core.db import open_database
from core.settings import Settings

if TYPE_CHECKING:
    from botocore.config import Config

    from core.ingest.sources.s3_get import S3Getter
    from core.marketplace.client import Sender

# boto3 and botocore are imported by the first client made, not by every verb: a pass
# over a local folder, or `meterbot status`, never needs them.


def client(service: str, *, region: str, config: Config) -> Any:
    import boto3

    return boto3.client(service, region_name=region, config=config)


def aws_config(**overrides: Any) -> Config:
    """Timeouts and retries for every AWS call: adaptive mode backs off on throttling."""
    from botocore.config import Config

    settings: dict[str, Any] = {
        "connect_timeout": 5,
        "read_timeout": 30,
        "retries": {"max_attempts": 5, "mode": "adaptive"},
    }
    return Config(**(settings | overrides))


def s3_config() -> Config:
    """Ingestion keeps up to 64 GETs in flight (four bundles of small objects, 16 each):
    the pool holds a connection for each instead of opening and dropping the extra ones."""
    return aws_config(max_pool_connections=64)


def s3_session() -> Any:
    """A boto3 session for S3 alone: its parser reads S3's timestamps with `s3_timestamp`
    (other clients keep botocore's), and its credentials sign botocore's requests and the
    CRT's alike, so one chain is resolved and refreshed for both."""
    import boto3
    import botocore.session

    session = botocore.session.get_session()
    parsers = session.get_component("response_parser_factory")
    parsers.set_parser_defaults(timestamp_parser=s3_timestamp)
    return boto3.Session(botocore_session=session)


def s3_client(region: str, session: Any) -> Any:
    return session.client("s3", region_name=region, config=s3_config())


def s3_timestamp(text: str) -> datetime:
    """S3's ISO 8601 times at C speed, any other form as botocore reads it. botocore's
    parser (dateutil) takes 60 us a time: a listing of 12,000 keys held the GIL a second
    to read LastModified, which nothing here uses."""
    from botocore.utils import parse_timestamp

    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):  # RFC 1123 headers, epoch seconds
        return parse_timestamp(text)
    return parsed if parsed.tzinfo is not None else parse_timestamp(text)


def s3_getter(s3: Any, session: Any) -> S3Getter | None:
    """The CRT's GETs beside `s3`, signed with the credentials of its `session`."""
    from core.ingest.sources.s3_get import S3Getter

    credentials = session.get_credentials()
    return S3Getter(s3, credentials) if credentials is not None else None


@dataclass
class Services:
    settings: Settings
    _closers: list[Any] = field(default_factory=list)
    _sender: Sender | None = None
    _sender_lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def engine(self) -> Engine:
        engine = open_database(self.settings.database_url)
        self._closers.append(engine.dispose)
        return engine

    @cached_property
    def admins(self) -> Admins:
        """Who may send metering, retry failures and change alert rules (METERBOT_ADMINS)."""
        return Admins(frozenset(self.settings.admins))

    @cached_property
    def s3_session(self) -> Any:
        return s3_session()

    @cached_property
    def s3(self) -> Any:
        return s3_client(self.settings.aws_region, self.s3_session)

    @cached_property
    def s3_getter(self) -> S3Getter | None:
        """Small objects' GETs through the CRT, on the S3 client's endpoint and
        credentials; None without credentials (botocore then says so)."""
        return s3_getter(self.s3, self.s3_session)

    @cached_property
    def marketplace(self) -> Any:
        """The Marketplace Metering client (AWS_ENDPOINT_URL_MARKETPLACE_METERING honoured)."""
        # It retries, rate-limits and counts throttles itself (core.marketplace.client):
        # botocore retrying underneath would multiply attempts.
        config = aws_config(retries={"total_max_attempts": 1})
        return client("meteringmarketplace", region=self.settings.aws_region, config=config)

    @property
    def sender(self) -> Sender:
        """The process's one Marketplace sender (dry-run unless METERBOT_MARKETPLACE=live),
        shared by the scheduler, Slack and the CLI so that one rate limiter covers every
        call against the account's 10 calls/s quota. The first use builds a boto3 client,
        which blocks: async callers reach it through a worker thread."""
        with self._sender_lock:  # Slack and scheduler threads may ask at the same moment
            if self._sender is None:
                from core.marketplace.client import build_sender

                self._sender = build_sender(
                    dry_run=self.settings.dry_run, boto_client=lambda: self.marketplace
                )
            return self._sender

    @cached_property
    def agreements(self) -> Any:
        """The Agreement Service client (AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT honoured).

        The service lives in us-east-1 only, whatever region the rest uses."""
        return client("marketplace-agreement", region="us-east-1", config=aws_config())

    @cached_property
    def cloudtrail(self) -> Any:
        """The CloudTrail client (AWS_ENDPOINT_URL_CLOUDTRAIL honoured), in the region the
        metering calls are made in, so their events are there."""
        return client("cloudtrail", region=self.settings.aws_region, config=aws_config())

    @cached_property
    def sqs(self) -> Any:
        """The SQS client for the events queue (AWS_ENDPOINT_URL_SQS honoured)."""
        # Long polls wait up to 20 s for a message: the read timeout must outlast them.
        config = aws_config(read_timeout=40)
        return client("sqs", region=self.settings.aws_region, config=config)

    @cached_property
    def registration(self) -> Any:
        """A Metering client for ResolveCustomer, with botocore's own retries."""
        return client("meteringmarketplace", region=self.settings.aws_region, config=aws_config())

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()
