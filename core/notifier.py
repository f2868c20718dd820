"""What core and the scheduler say to people, and the port they say it through.

Jobs and services compose a `Message` (plain data); the bot's Slack notifier
renders it as Block Kit and posts it to the channel. The scheduler never imports
the bot: it is handed a `Notifier`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

log = logging.getLogger(__name__)

# action_id of the Retry button on failure notifications; value: comma-separated ledger ids.
RETRY_ACTION = "meter_retry_records"


class Severity(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Action:
    """A button: `action_id` names the listener, `value` what it acts on."""

    label: str
    action_id: str
    value: str
    style: str | None = None  # "primary" | "danger"
    admin_only: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file to upload with the message (a PNG chart, a CSV invoice)."""

    filename: str
    content: bytes
    title: str


@dataclass(frozen=True)
class Message:
    """A notification: a title, a summary line, labelled facts, detail lines, buttons, files."""

    title: str
    summary: str
    severity: Severity = Severity.INFO
    facts: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    def as_text(self) -> str:
        """Plain text: the notification fallback, and what the CLI prints."""
        parts = [f"{self.title}: {self.summary}"]
        parts += [f"  {label}: {value}" for label, value in self.facts]
        parts += [f"  {line}" for line in self.lines]
        return "\n".join(parts)


SHOWN = 10  # lines of one kind a sync's notice lists; its facts carry the full counts


def sync_message(
    title: str,
    summary: str,
    facts: list[tuple[str, str]],
    listed: dict[str, list[str]],
    problems: list[str],
) -> Message:
    """A sync's notice: the first SHOWN of each kind of change, labelled, then of the
    problems; a warning when there are problems."""
    kinds = {**listed, "problem": problems}
    return Message(
        title=title,
        summary=f"{summary}, {len(problems)} problems",
        severity=Severity.WARNING if problems else Severity.SUCCESS,
        facts=facts,
        lines=[f"{kind}: {text}" for kind, texts in kinds.items() for text in texts[:SHOWN]],
    )


class Notifier(Protocol):
    async def send(self, message: Message, *, channel: str | None = None) -> None:
        """Post `message` (to `channel`, default the configured one). Raises on failure."""
        ...


class LogNotifier:
    """The notifier when Slack is not configured: messages go to the log."""

    async def send(self, message: Message, *, channel: str | None = None) -> None:
        log.info("%s", message.as_text())
