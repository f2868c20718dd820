"""`meterbot ledger`: the audit trail of metering records, as a table or CSV."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.commands.arguments import positive
from core.customers.lookup import find_customer
from core.db import session_scope
from core.errors import InvalidInput
from core.formatting import quantity, table
from core.marketplace.ledger import LedgerLine, query_ledger
from core.models import LedgerStatus
from core.periods import hour_list, parse_day

if TYPE_CHECKING:
    from bot.app import Services

COLUMNS = [
    "id", "hour", "customer", "dimension", "quantity", "status", "source", "attempts",
    "metering_record_id", "last_error", "note", "sent_at", "updated_at", "carried_from",
]  # fmt: skip


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "ledger",
        help="the audit trail of what was sent to Marketplace",
        description="Every metering record: hour, quantity, status, who caused it, "
        "attempts, MeteringRecordId and last error.",
    )
    parser.add_argument("--customer", metavar="C", help="name, Salesforce id, usage or AWS id")
    statuses = ", ".join(s.value for s in LedgerStatus)
    parser.add_argument("--status", metavar="S", help=f"only this status ({statuses})")
    parser.add_argument("--since", metavar="DATE", help="hours from this UTC day (YYYY-MM-DD)")
    parser.add_argument(
        "--limit", type=positive("records"), default=None, help="only the newest N records"
    )
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.set_defaults(run=run, reads_only=True)


def run(args: argparse.Namespace, services: Services) -> int:
    if args.status and args.status not in {s.value for s in LedgerStatus}:
        raise InvalidInput(
            f"unknown status {args.status!r}: say one of {', '.join(s.value for s in LedgerStatus)}"
        )
    since = parse_day(args.since).start if args.since else None
    with session_scope(services.engine) as session:
        customer_id = find_customer(session, args.customer).id if args.customer else None
        lines = query_ledger(
            session, customer_id=customer_id, status=args.status, since=since, limit=args.limit
        )
    print(ledger_csv(lines) if args.csv else ledger_table(lines), end="")
    return 0


def _cells(line: LedgerLine) -> list[str]:
    values = [getattr(line, name) for name in COLUMNS]
    cells = []
    for value in values:
        if value is None:
            cells.append("")
        elif hasattr(value, "isoformat"):
            cells.append(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
        else:
            cells.append(quantity(value) if isinstance(value, Decimal) else str(value))
    return cells


def ledger_csv(lines: list[LedgerLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_cells(line) for line in lines)
    return out.getvalue()


def ledger_table(lines: list[LedgerLine]) -> str:
    if not lines:
        return "no metering records match\n"
    shown = ["id", "hour", "customer", "dimension", "quantity", "status", "source", "attempts"]
    rows = [
        [c for name, c in zip(COLUMNS, _cells(line), strict=True) if name in shown]
        for line in lines
    ]
    head, *body = table([shown, *rows], align="<" * len(shown))
    text = head + "\n"
    for line, row in zip(lines, body, strict=True):
        text += row + "\n"
        detail = line.last_error or line.note
        if line.carried_from:
            hours = hour_list(datetime.fromisoformat(h) for h in line.carried_from.split())
            detail = f"{detail or 'carries late usage'} (of {hours})"
        if detail:
            text += f"      {detail}\n"
    return text
