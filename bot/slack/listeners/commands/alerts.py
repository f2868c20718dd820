"""/meter alerts [add RULE | remove ID]: list the rules; admins add and remove them."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.subcommands import require
from bot.slack.views.alerts import alerts_blocks
from core.alerts.rules import add_rule, describe_rule, list_rules, remove_rule
from core.errors import InvalidInput

from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    verb, _, rest = req.rest.partition(" ")
    verb = verb.lower()
    if verb in ("add", "remove", "rm", "delete"):
        text = await (_add(req, rest) if verb == "add" else _remove(req, rest))
        await req.reply(text)
        return
    if verb:
        raise InvalidInput(f"{verb!r}: say /meter alerts, alerts add RULE or alerts remove ID")
    rules = await req.deps.read(
        lambda session: [(r.id or 0, describe_rule(r)) for r in list_rules(session)]
    )
    await req.reply(f"{len(rules)} alert rule(s)", alerts_blocks(rules))


async def _add(req: CommandRequest, text: str) -> str:
    require(text.strip(), "alerts add RULE")
    now, admins = req.deps.now(), req.deps.services.admins

    def add(session: Session) -> str:
        rule = add_rule(session, text=text, actor=req.user_id, admins=admins, now=now)
        return f"Added alert rule #{rule.id}: {describe_rule(rule)}"

    return await req.deps.write(add)


async def _remove(req: CommandRequest, text: str) -> str:
    number = text.strip().lstrip("#")
    if not number.isdigit():
        raise InvalidInput("usage: /meter alerts remove ID (the number /meter alerts shows)")
    now, admins = req.deps.now(), req.deps.services.admins

    def remove(session: Session) -> str:
        remove_rule(session, rule_id=int(number), actor=req.user_id, admins=admins, now=now)
        return f"Removed alert rule #{number}."

    return await req.deps.write(remove)
