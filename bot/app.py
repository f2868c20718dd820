"""The composition root: the one place that builds settings, the engine and the clients.

Everything is built on first use and handed down, so `meterbot --help` touches
nothing and tests can build a `Services` over their own settings.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from sqlalchemy import Engine

from core.access import Admins
from core.db import open_database
from core.marketplace.client import Sender, build_sender
from core.settings import Settings

# Timeouts and retries for every AWS call: adaptive mode backs off on throttling.
AWS_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 5, "mode": "adaptive"},
)
# Long polls wait up to 20 s for a message: the read timeout must outlast them.
SQS_CONFIG = Config(
    connect_timeout=5, read_timeout=40, retries={"max_attempts": 5, "mode": "adaptive"}
)
# The metering client retries, rate-limits and counts throttles itself
# (core.marketplace.client); botocore retrying underneath would multiply attempts.
METERING_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1})


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
    def s3(self) -> Any:
        return boto3.client("s3", region_name=self.settings.aws_region, config=AWS_CONFIG)

    @cached_property
    def marketplace(self) -> Any:
        """The Marketplace Metering client (AWS_ENDPOINT_URL_MARKETPLACE_METERING honoured)."""
        return boto3.client(
            "meteringmarketplace", region_name=self.settings.aws_region, config=METERING_CONFIG
        )

    @property
    def sender(self) -> Sender:
        """The process's one Marketplace sender (dry-run unless METERBOT_MARKETPLACE=live),
        shared by the scheduler, Slack and the CLI so that one rate limiter covers every
        call against the account's 10 calls/s quota. The first use builds a boto3 client,
        which blocks: async callers reach it through a worker thread."""
        with self._sender_lock:  # Slack and scheduler threads may ask at the same moment
            if self._sender is None:
                self._sender = build_sender(
                    dry_run=self.settings.dry_run, boto_client=lambda: self.marketplace
                )
            return self._sender

    @cached_property
    def agreements(self) -> Any:
        """The Agreement Service client (AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT honoured).

        The service lives in us-east-1 only, whatever region the rest uses."""
        return boto3.client("marketplace-agreement", region_name="us-east-1", config=AWS_CONFIG)

    @cached_property
    def cloudtrail(self) -> Any:
        """The CloudTrail client (AWS_ENDPOINT_URL_CLOUDTRAIL honoured), in the region the
        metering calls are made in, so their events are there."""
        return boto3.client("cloudtrail", region_name=self.settings.aws_region, config=AWS_CONFIG)

    @cached_property
    def sqs(self) -> Any:
        """The SQS client for the events queue (AWS_ENDPOINT_URL_SQS honoured)."""
        return boto3.client("sqs", region_name=self.settings.aws_region, config=SQS_CONFIG)

    @cached_property
    def registration(self) -> Any:
        """A Metering client for ResolveCustomer, with botocore's own retries."""
        return boto3.client(
            "meteringmarketplace", region_name=self.settings.aws_region, config=AWS_CONFIG
        )

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()
