"""/meter alerts: the rules, and how to add or remove one."""

from __future__ import annotations

from collections.abc import Sequence

from .blocks import Block, context, esc, section

HOW = (
    "Admins: `/meter alerts add storage_tb > 500`, `/meter alerts add storage_tb 80% of "
    "entitlement for acme`, `/meter alerts add api_calls spike 3x`, `/meter alerts remove 4`"
)


def alerts_blocks(rules: Sequence[tuple[int, str]]) -> list[Block]:
    """`rules`: (rule id, its description)."""
    if rules:
        lines = [f"`#{rule_id}`  {esc(text)}" for rule_id, text in rules]
        body = "*Alert rules*\n" + "\n".join(lines)
    else:
        body = "*Alert rules*\n_None yet._"
    return [section(body), context(HOW)]
