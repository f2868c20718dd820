"""/meter status: last ingestion, lag, quarantined lines, what waits to be sent."""

from __future__ import annotations

from bot.slack.views.status import status_blocks
from core.reports.status import collect_status

from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    now = req.deps.now()
    status = await req.deps.read(lambda session: collect_status(session, now=now))
    problems = status.problems()
    text = "meterbot status: " + (f"{len(problems)} problem(s)" if problems else "all is well")
    await req.reply(text, status_blocks(status))
