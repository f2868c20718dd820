"""`meterbot reconcile`: the ledger of a month against what AWS received, then exit."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.commands.passes import PassResult, add_pass_options, finish
from core.periods import month_of, parse_month
from core.reconcile import CloudTrailReader, InvoiceReader, reconcile_and_keep

if TYPE_CHECKING:
    from bot.app import Services


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
    add_pass_options(parser)
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
    summary = report.as_csv().rstrip("\n") if args.csv else report.as_text()
    attention = (
        f"{len(report.open)} open differences with AWS for {report.month} "
        f"(meterbot reconcile --month {report.month} --csv)"
        if report.open
        else None
    )
    return finish(
        args,
        services.settings,
        PassResult(summary=summary, notices=[report.posted()], attention=attention),
    )
