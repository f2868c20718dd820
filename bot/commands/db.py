"""`meterbot db upgrade`: bring the database schema up to date."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.db import redact_url

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser("db", help="database schema")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    up = actions.add_parser("upgrade", help="apply pending migrations (also done on start-up)")
    up.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace, services: Services) -> int:
    services.engine  # noqa: B018  (opening the database upgrades it)
    print(f"schema up to date: {redact_url(services.settings.database_url)}")
    return 0
