"""The contract picker's options: the product's contracts matching what was typed."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack.deps import deps_of
from bot.slack.views.contracts import contract_options as as_options
from core.reports.contracts import contract_choices


async def contract_options(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    # Options must come back in the acknowledgement itself: a quick indexed query.
    deps = deps_of(context)
    product = str(body.get("block_id", "")).rpartition(":")[2]
    if not product.isdigit():
        await ack(options=[])
        return
    now = deps.now()
    typed = str(body.get("value", ""))
    choices = await deps.read(
        lambda session: contract_choices(session, product_id=int(product), query=typed, now=now),
        before_ack=True,
    )
    await ack(options=as_options(choices))
