"""`meterbot sync-agreements`: one pass over AWS Marketplace agreements, then exit."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.commands.passes import PassResult, add_pass_options, finish
from core.agreements import AgreementClient, sync_agreements

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "sync-agreements",
        help="read AWS Marketplace agreements into customers and contracts",
        description="Read the purchase agreements updated since the last pass (as "
        "proposer) with their terms and licences; each becomes or updates a customer "
        "and its contract. Exit 3 when some could not be applied.",
    )
    parser.add_argument("--full", action="store_true", help="read every agreement again")
    add_pass_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    client = AgreementClient(services.agreements)
    report = sync_agreements(services.engine, client, now=datetime.now(UTC), full=args.full)
    problems = len(report.problems)
    return finish(
        args,
        services.settings,
        PassResult(
            summary=report.as_text(),
            notices=[report.message()] if report.changed else [],
            attention=f"{problems} agreements could not be applied (listed above)"
            if problems
            else None,
        ),
    )
