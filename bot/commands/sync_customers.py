"""`meterbot sync-customers`: not yet built (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Services
from core.errors import MeterbotError


def register(verbs: Any) -> None:
    parser = verbs.add_parser("sync-customers", help="(not yet available)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    raise MeterbotError("'sync-customers' is not available yet")
