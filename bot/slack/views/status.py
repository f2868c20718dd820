"""/meter status and the home tab's status panel."""

from __future__ import annotations

from core.reports.status import Status

from .blocks import Block, context, esc, fields, section


def status_blocks(status: Status) -> list[Block]:
    problems = status.problems()
    mark = "✅" if not problems else "⚠️"
    blocks = [section(f"*meterbot status*  {mark} {status.verdict()}")]
    blocks += fields(status.facts())
    if problems:
        blocks.append(section("\n".join(f"• {esc(p)}" for p in problems)))
    blocks.append(context(f"As of {status.now:%Y-%m-%d %H:%M} UTC"))
    return blocks
