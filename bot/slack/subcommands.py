"""`/meter` text -> which subcommand and its arguments; typos get help with suggestions."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from core.errors import InvalidInput


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    admin: bool = False


SUBCOMMANDS = [
    Subcommand("help", "", "what /meter can do"),
    Subcommand("contracts", "[product]", "contracts with usage so far this month; enter usage"),
    Subcommand("enter", "[customer]", "enter usage by hand and send it to Marketplace", True),
    Subcommand("upload", "", "share a usage CSV in this channel to review and send it", True),
    Subcommand("usage", "CUSTOMER [day|month]", "a customer's usage with a chart"),
    Subcommand("plans", "", "plans and their prices"),
    Subcommand("invoice", "CUSTOMER [YYYY-MM]", "a customer's invoice (this month by default)"),
    Subcommand("status", "", "ingestion, problems and what waits to be sent"),
    Subcommand("digest", "[day|week]", "post a digest to this channel now"),
    Subcommand("alerts", "[add RULE | remove ID]", "alert rules (admins add and remove)"),
    Subcommand("reconcile", "[YYYY-MM]", "the month's ledger against what AWS received and billed"),
]
NAMES = [s.name for s in SUBCOMMANDS]
ALIASES = {"?": "help", "contract": "contracts", "plan": "plans", "alert": "alerts"}


@dataclass(frozen=True)
class Parsed:
    """A known subcommand and the rest of the text, as typed (quotes removed)."""

    name: str
    rest: str


@dataclass(frozen=True)
class Unknown:
    """Text that names no subcommand: answered with help and the nearest names."""

    word: str
    suggestions: list[str]


def parse(text: str) -> Parsed | Unknown:
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return Parsed("help", "")
    word = words[0].lower()
    name = ALIASES.get(word, word)
    rest = _unquote(words[1]) if len(words) > 1 else ""
    if name in NAMES:
        return Parsed(name, rest)
    return Unknown(words[0], difflib.get_close_matches(word, NAMES, n=3, cutoff=0.5))


# Double quotes around a name ("Acme Corp") at word edges; apostrophes in names stay.
_QUOTES = re.compile(r'(?:^|(?<=\s))["“”]|["“”](?=\s|$)')


def _unquote(text: str) -> str:
    return _QUOTES.sub("", text).strip()


def split_last(rest: str, choices: set[str] | re.Pattern[str]) -> tuple[str, str | None]:
    """'Acme Corp month' -> ('Acme Corp', 'month') when the last word is one of `choices`."""
    head, _, last = rest.rpartition(" ")
    matches = last.lower() in choices if isinstance(choices, set) else bool(choices.fullmatch(last))
    if head and matches:
        return head.strip(), last.lower()
    if not head and rest and matches:
        return "", rest.lower()
    return rest, None


def require(value: str, usage: str) -> str:
    if not value:
        raise InvalidInput(f"usage: /meter {usage}")
    return value
