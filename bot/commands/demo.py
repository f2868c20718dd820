"""`meterbot demo`: not yet built (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.app import Services
from core.errors import MeterbotError


def register(verbs: Any) -> None:
    parser = verbs.add_parser("demo", help="(not yet available)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    raise MeterbotError("'demo' is not available yet")
