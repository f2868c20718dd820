"""The App Home tab: status at a glance, subscriptions ending soon, the month's top
customers, problems waiting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.slack import ids
from core.agreements.overview import Ending
from core.reports.status import Status

from .blocks import Block, actions, button, context, divider, esc, header, money, section
from .status import status_blocks

SHOWN = 15


@dataclass(frozen=True)
class TopCustomer:
    name: str
    amount: Decimal
    currency: str = "USD"


def home_view(
    status: Status,
    top: Sequence[TopCustomer] | None,
    *,
    month: str,
    is_admin: bool,
    ending: Sequence[Ending] = (),
) -> dict[str, Any]:
    """`top` None: still being worked out (the tab is published again when it is)."""
    blocks: list[Block] = [header("meterbot"), *status_blocks(status), divider()]
    blocks += _ending_blocks(ending)
    blocks.append(section(f"*Top customers, {esc(month)}* (charges so far)"))
    if top is None:
        blocks.append(context("Working out this month's figures…"))
    elif not top:
        blocks.append(context("No charges yet this month."))
    else:
        lines = [
            f"{n}. *{esc(t.name)}*  {money(t.amount, t.currency)}" for n, t in enumerate(top, 1)
        ]
        blocks.append(section("\n".join(lines)))
    blocks.append(divider())
    role = "You can send usage and retry failures." if is_admin else "You can look; admins send."
    blocks.append(context(f"Try `/meter help`. {role}"))
    blocks.append(actions([button("Refresh", ids.HOME_REFRESH)]))
    return {"type": "home", "blocks": blocks}


def _ending_blocks(ending: Sequence[Ending]) -> list[Block]:
    """Subscriptions ending within 30 days, soonest first (none: the section is left out)."""
    if not ending:
        return []
    lines = [
        f"• *{esc(e.customer)}* ({e.kind}) ends {e.ends_at:%Y-%m-%d %H:%M}Z, from {esc(e.source)}"
        for e in ending[:SHOWN]
    ]
    more = [context(f"and {len(ending) - SHOWN} more")] if len(ending) > SHOWN else []
    title = section(f"*Ending within 30 days* ({len(ending)})")
    return [title, section("\n".join(lines)[:3000]), *more, divider()]
