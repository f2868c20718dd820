"""/meter plans: the plans and their prices in force now."""

from __future__ import annotations

from bot.slack.views.plans import plans_blocks
from core.plans.summary import plan_summaries

from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    now = req.deps.now()
    plans = await req.deps.read(lambda session: plan_summaries(session, now=now))
    await req.reply(f"{len(plans)} plan(s)", plans_blocks(plans))
