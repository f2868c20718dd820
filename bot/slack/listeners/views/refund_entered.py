"""Review on the refund modal: the amount checked against AWS's maximum, then the
confirm step in its place (nothing is asked of AWS yet)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack import ids
from bot.slack.deps import deps_of
from bot.slack.views.entry import message_view
from bot.slack.views.refund import RefundAsk, refund_confirm_view
from core.errors import MeterbotError
from core.reconcile.adjustments import CENT
from core.reconcile.refunds import RefundDraft, refund_draft


async def refund_entered(ack: AsyncAck, view: dict[str, Any], context: Any) -> None:
    deps = deps_of(context)
    meta = json.loads(view.get("private_metadata") or "{}")
    finding_id = int(meta.get("f", 0))
    try:
        draft = await deps.read(lambda session: refund_draft(session, finding_id), before_ack=True)
    except MeterbotError as exc:  # the finding went away or changed since the modal opened
        await ack(response_action="update", view=message_view("Not asked", f"⚠️ {exc}"))
        return
    values = (view.get("state") or {}).get("values") or {}
    amount_text = _typed(values, ids.REFUND_AMOUNT_BLOCK, ids.REFUND_AMOUNT)
    description = _typed(values, ids.REFUND_DESCRIPTION_BLOCK, ids.REFUND_DESCRIPTION).strip()
    errors = form_errors(draft, amount_text, description)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    ask = RefundAsk(finding_id, str(meta.get("ch", "")), Decimal(amount_text), description)
    await ack(response_action="update", view=refund_confirm_view(draft, ask))


def form_errors(draft: RefundDraft, amount_text: str, description: str) -> dict[str, str]:
    """Slack's per-block errors: an amount AWS would refuse, an empty description."""
    errors: dict[str, str] = {}
    try:
        amount = Decimal(amount_text.strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        errors[ids.REFUND_AMOUNT_BLOCK] = "Enter an amount above 0, in cents."
    elif amount > draft.max_amount:
        errors[ids.REFUND_AMOUNT_BLOCK] = (
            f"At most {draft.max_amount:f} {draft.currency}: AWS's maximum for this invoice."
        )
    if not description:
        errors[ids.REFUND_DESCRIPTION_BLOCK] = "Say what went wrong."
    return errors


def _typed(values: dict[str, Any], block: str, action: str) -> str:
    return str(((values.get(block) or {}).get(action) or {}).get("value") or "")
