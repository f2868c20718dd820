"""/meter status and the home tab's status panel."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.reports.status import Status

from .blocks import Block, context, esc, fields, section


def status_blocks(status: Status) -> list[Block]:
    problems = status.problems()
    verdict = "✅ All is well." if not problems else f"⚠️ {len(problems)} thing(s) need a look."
    blocks = [section(f"*meterbot status*  {verdict}")]
    blocks += fields(
        [
            ("Last ingestion", _when(status.last_ingestion, status.now)),
            ("Files in the last day", str(status.objects_last_day)),
            (
                "Quarantined lines",
                f"{status.quarantined_lines} ({status.quarantined_last_day} today)",
            ),
            ("Unmatched usage ids", str(status.unmatched_ids)),
            ("Waiting to send", str(status.pending)),
            ("Failed records", str(status.failed)),
        ]
    )
    if problems:
        blocks.append(section("\n".join(f"• {esc(p)}" for p in problems)))
    blocks.append(context(f"As of {status.now:%Y-%m-%d %H:%M} UTC"))
    return blocks


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({_ago(now - moment)})"


def _ago(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"
