"""`meterbot sync-customers`: one Salesforce sync of customers, then exit."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.commands.passes import PassResult, add_pass_options, finish
from core.salesforce.sync import sync_from_salesforce
from scheduler.pass_notices import sync_notices

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "sync-customers",
        help="read customer accounts from Salesforce into meterbot",
        description="Upsert customers and their usage ids from Salesforce; accounts that "
        "left the query are deactivated, never deleted.",
    )
    add_pass_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    report = sync_from_salesforce(services.engine, services.settings, now=datetime.now(UTC))
    attention = None
    if report.problems:
        attention = f"{len(report.problems)} accounts need attention (the problems above)"
    return finish(
        args, services.settings, PassResult(report.as_text(), sync_notices(report), attention)
    )
