"""`meterbot submit [--dry-run]`: one pass of sending due metering records, with a summary."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.commands.passes import PassResult, add_pass_options, finish
from core.marketplace.client import DryRunClient, require_credentials
from core.marketplace.submit import submit_due
from scheduler.pass_notices import submit_notices

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "submit",
        help="send due metering records to AWS Marketplace",
        description="Account the usage that is due, send it with BatchMeterUsage and print "
        "what happened to every record. METERBOT_MARKETPLACE=dry-run (the default) or "
        "--dry-run shows what would be sent and changes nothing.",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would be sent")
    add_pass_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    if not (args.dry_run or services.settings.dry_run):
        require_credentials()  # before anything is queued or called
    # --dry-run builds no AWS client; otherwise the composition root's one sender.
    client = DryRunClient() if args.dry_run else services.sender
    report = submit_due(
        services.engine,
        client=client,
        now=datetime.now(UTC),
        heartbeat=services.settings.heartbeat,
        late_usage=services.settings.late_usage,
    )
    attention = None
    if report.problems and not report.dry_run:
        statuses = sorted({o.status for o in report.problems})
        looks = "; ".join(f"meterbot ledger --status {status}" for status in statuses)
        attention = f"{len(report.problems)} records need attention (meterbot problems; {looks})"
    # Every record, sent or (a dry run) that would be, so a seller sees what goes out.
    text = report.message(every_record=True, shown=None).as_text()
    return finish(args, services.settings, PassResult(text, submit_notices(report), attention))
