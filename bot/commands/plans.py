"""`meterbot plans apply FILE`: load products, dimensions, plans and customers from YAML."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.errors import InvalidInput
from core.plans.file import load_plan_file
from core.plans.versions import apply_plan_file

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "plans", help="plans as code", description="Products, plans and customers from YAML."
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    apply = actions.add_parser(
        "apply",
        help="create or update everything a plans file describes (see docs/plans.md)",
        description="Validate FILE, then apply it in one transaction: a bad file changes nothing.",
    )
    apply.add_argument("file", nargs="?", metavar="FILE", help="default: METERBOT_PLANS_FILE")
    apply.add_argument(
        "--dry-run", action="store_true", help="show what would change, then roll back"
    )
    apply.set_defaults(run=run_apply)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def run_apply(args: argparse.Namespace, services: Services) -> int:
    path = args.file or services.settings.plans_file
    if not path:
        raise InvalidInput("give a plans FILE or set METERBOT_PLANS_FILE")
    plan_file = load_plan_file(path)  # validated before the database is even opened
    report = apply_plan_file(
        services.engine, plan_file, now=datetime.now(UTC), actor=_actor(), dry_run=args.dry_run
    )
    print(report.as_text(dry_run=args.dry_run))
    return 0
