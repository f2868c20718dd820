"""`meterbot status`: what `/meter status` shows, on the terminal.

Exit 0 when all is well, 3 when something needs a look (so a monitor can run it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from bot.app import Services
from bot.commands.passes import NEEDS_ATTENTION
from core.db import session_scope
from core.reports.status import collect_status


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "status",
        help="ingestion lag, problems waiting, the ledger's backlog (as /meter status)",
    )
    parser.set_defaults(run=run, reads_only=True)


def run(args: argparse.Namespace, services: Services) -> int:
    with session_scope(services.engine) as session:
        status = collect_status(session, now=datetime.now(UTC))
    print(status.as_text())
    problems = status.problems()
    if problems:
        print(
            f"meterbot: {len(problems)} thing(s) need a look (meterbot problems)", file=sys.stderr
        )
        return NEEDS_ATTENTION
    return 0
