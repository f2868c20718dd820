"""The composition root: the one place that builds settings, the engine and the clients.

Everything is built on first use and handed down, so `meterbot --help` touches
nothing and tests can build a `Services` over their own settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from sqlalchemy import Engine

from core.db import open_database
from core.settings import Settings

# Timeouts and retries for every AWS call: adaptive mode backs off on throttling.
AWS_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 5, "mode": "adaptive"},
)
# The metering client retries, rate-limits and counts throttles itself
# (core.marketplace.client); botocore retrying underneath would multiply attempts.
METERING_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1})


@dataclass
class Services:
    settings: Settings
    _closers: list[Any] = field(default_factory=list)

    @cached_property
    def engine(self) -> Engine:
        engine = open_database(self.settings.database_url)
        self._closers.append(engine.dispose)
        return engine

    @cached_property
    def s3(self) -> Any:
        return boto3.client("s3", region_name=self.settings.aws_region, config=AWS_CONFIG)

    @cached_property
    def marketplace(self) -> Any:
        """The Marketplace Metering client (AWS_ENDPOINT_URL_MARKETPLACE_METERING honoured)."""
        return boto3.client(
            "meteringmarketplace", region_name=self.settings.aws_region, config=METERING_CONFIG
        )

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()
