"""`meterbot reconcile`: the ledger of a month against what AWS received, then exit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from bot.app import Services
from bot.commands.notice import post_notice
from core.periods import month_of, parse_month
from core.reconcile import CloudTrailReader, InvoiceReader, reconcile_and_keep


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "reconcile",
        help="check the ledger against what AWS received and invoiced",
        description="Match a month's ledger rows with the BatchMeterUsage calls CloudTrail "
        "logged (rows AWS has no trace of, records another sender billed, hours billed "
        "twice, quantities or statuses that differ) and, once the month has ended, each "
        "agreement's invoices with the ledger at its rate card. The run and its findings "
        "are kept; exit 3 while some are open.",
    )
    parser.add_argument("--month", metavar="YYYY-MM", help="the month (default: this one)")
    parser.add_argument("--csv", action="store_true", help="print the findings as CSV")
    parser.add_argument("--quiet", action="store_true", help="do not post to Slack")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    now = datetime.now(UTC)
    trail = CloudTrailReader(services.cloudtrail)
    period = parse_month(args.month) if args.month else month_of(now)
    report = reconcile_and_keep(
        services.engine,
        trail=trail,
        invoices=InvoiceReader(services.agreements),
        period=period,
        now=now,
        tolerance=services.settings.reconcile_tolerance,
        actor="cli",
    )
    print(report.as_csv() if args.csv else report.as_text(), end="\n" if not args.csv else "")
    if not args.quiet:
        asyncio.run(post_notice(services, report.message()))
    if report.open:
        print(
            f"meterbot: {len(report.open)} open differences with AWS for {report.month} "
            f"(meterbot reconcile --month {report.month} --csv)",
            file=sys.stderr,
        )
        return 3
    return 0
