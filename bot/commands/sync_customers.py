"""`meterbot sync-customers`: one Salesforce sync of customers, then exit."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from bot.app import Services
from core.customers.sync import sync_from_salesforce


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "sync-customers",
        help="read customer accounts from Salesforce into meterbot",
        description="Upsert customers and their usage ids from Salesforce; accounts that "
        "left the query are deactivated, never deleted.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    report = sync_from_salesforce(services.engine, services.settings, now=datetime.now(UTC))
    print(report.as_text())
    return 0
