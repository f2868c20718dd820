"""`meterbot ingest`: one ingestion pass over new usage objects, then exit."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.commands.arguments import positive
from bot.commands.passes import PassResult, add_pass_options, finish
from core.db import session_scope
from core.errors import ConfigError
from core.ingest.context import Progress
from core.ingest.parked import take_up_again
from core.ingest.pipeline import ingest_pass
from core.ingest.report import IngestReport
from core.ingest.sources.open import open_source
from scheduler.pass_notices import alert_notices, ingest_notices

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser("ingest", help="ingest new usage objects once, then exit")
    parser.add_argument(
        "--source", help="s3://bucket/prefix/ or a folder (default METERBOT_USAGE_URL)"
    )
    parser.add_argument("--worker", help="this worker's name in claims (default host:pid)")
    parser.add_argument(
        "--lookback-days",
        type=positive("days"),
        default=3,
        help="days of S3 date partitions listed (default 3)",
    )
    parser.add_argument(
        "--max-age-days",
        type=positive("days"),
        default=62,
        help="older records are quarantined (default 62)",
    )
    parser.add_argument(
        "--retry",
        metavar="KEY",
        action="append",
        help="read this unreadable (or failed) object again after a fix; repeatable",
    )
    parser.add_argument(
        "--retry-unreadable",
        action="store_true",
        help="read every object parked as unreadable again after a fix",
    )
    add_pass_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    usage_url = args.source or services.settings.usage_url
    if not usage_url:
        raise ConfigError("METERBOT_USAGE_URL is not set (s3://bucket/prefix/ or a folder)")
    s3 = usage_url.startswith("s3://")
    source = open_source(
        usage_url,
        s3_client=services.s3 if s3 else None,
        s3_getter=services.s3_getter if s3 else None,
        lookback_days=args.lookback_days,
    )
    if args.retry or args.retry_unreadable:
        _take_up_again(services, source.name, None if args.retry_unreadable else args.retry)
    now = datetime.now(UTC)
    with _progress_bar() as progress:
        report = ingest_pass(
            services.engine,
            source=source,
            now=now,
            worker=args.worker or f"{socket.gethostname()}:{os.getpid()}",
            progress=progress,
            max_age=timedelta(days=args.max_age_days),
            late_usage=services.settings.late_usage,
        )
    alerts = alert_notices(services.engine, now)
    summary = "\n".join([report.as_text(), *(alert.as_text() for alert in alerts)])
    notices = [*ingest_notices(report), *alerts]
    return finish(args, services.settings, PassResult(summary, notices, _attention(report)))


def _attention(report: IngestReport) -> str | None:
    """How many lines, objects and records need a person, and where to look."""
    parts = []
    if report.rejected:
        parts.append(f"{report.rejected:,} lines quarantined")
    if report.failed:
        parts.append(f"{len(report.failed):,} objects failed (retried next pass)")
    if report.unreadable:
        parts.append(
            f"{len(report.unreadable):,} objects could not be read and are parked "
            "(after a fix: meterbot ingest --retry KEY or --retry-unreadable)"
        )
    if report.unmatched:
        parts.append(f"{report.unmatched:,} records under unknown usage ids")
    return f"{', '.join(parts)} (meterbot problems)" if parts else None


def _take_up_again(services: Services, source: str, keys: list[str] | None) -> None:
    with session_scope(services.engine) as session:
        taken = take_up_again(session, source=source, keys=keys)
    print(f"taking up {len(taken)} parked or failed objects again")


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A bytes progress bar on a terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(unit="B", unit_scale=True, desc="ingest", file=sys.stderr) as bar:

        def advance(count: int) -> None:
            bar.update(count)

        yield advance
