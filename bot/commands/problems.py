"""`meterbot problems [--object KEY] [--csv]`: what needs a person, line by line.

Quarantined lines (object, line number, reason, raw text), usage ids no customer has
yet, objects that could not be read, and records Marketplace has not taken.
"""

from __future__ import annotations

import argparse
import csv
import io
from itertools import groupby
from typing import Any

from bot.app import Services
from core.db import session_scope
from core.reports.problems import COLUMNS, Problem, list_problems

HEADINGS = {
    "quarantined": "Quarantined lines (object:line  reason  text)",
    "object": "Objects that could not be read (key  status  attempts: error)",
    "unmatched": "Usage ids no customer has yet (kept, billed once mapped)",
    "record": "Records not taken by Marketplace (meterbot ledger for the full trail)",
}
TEXT_LIMIT = 200  # characters of a raw line shown in the table; the CSV has it whole


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "problems",
        help="quarantined lines, unknown usage ids, unreadable objects, unsent records",
    )
    parser.add_argument("--object", metavar="KEY", help="only this object (its key or file name)")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.set_defaults(run=run, reads_only=True)


def run(args: argparse.Namespace, services: Services) -> int:
    with session_scope(services.engine) as session:
        found = list_problems(session, object_key=args.object)
    print(problems_csv(found) if args.csv else problems_table(found, args.object), end="")
    return 0


def problems_csv(found: list[Problem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(problem.cells() for problem in found)
    return out.getvalue()


def problems_table(found: list[Problem], object_key: str | None) -> str:
    if not found:
        scope = f" for {object_key}" if object_key else ""
        return f"No problems{scope}: nothing quarantined, unread, unmatched or unsent.\n"
    lines: list[str] = []
    for kind, group in groupby(found, key=lambda problem: problem.kind):
        lines += [HEADINGS[kind], *(f"  {_row(problem)}" for problem in group), ""]
    return "\n".join(lines)


def _row(problem: Problem) -> str:
    text = problem.text if len(problem.text) <= TEXT_LIMIT else problem.text[:TEXT_LIMIT] + "…"
    if problem.kind == "quarantined" and problem.line is not None:
        return f"{problem.where}:{problem.line}  {problem.reason}  {text}"
    if problem.kind == "quarantined":
        return f"{problem.where}  {problem.count:,} more lines {text}"
    if problem.kind == "object":
        return f"{problem.where}  {problem.reason}  {problem.count} attempts: {text}"
    if problem.kind == "unmatched":
        return f"{problem.where}: {problem.count:,} records over {text}"
    return f"{problem.where}: {problem.reason} ({text})"
