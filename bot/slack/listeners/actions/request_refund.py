""" "Request refund" on an over-charged invoice finding: the refund modal (admins only).

The button's value is the finding id (core.reconcile.report.REFUND_ACTION). The modal
shows what AWS allows on the invoice; the channel the button was in is where the
request is announced.
"""

from __future__ import annotations

from bot.slack.acked import Interaction, after_ack
from bot.slack.views.refund import refund_form_view
from core.access import REQUEST_REFUND
from core.errors import InvalidInput
from core.reconcile.refunds import refund_draft


@after_ack
async def request_refund(press: Interaction) -> None:
    value = press.value
    press.deps.services.admins.require(press.user, REQUEST_REFUND, subject=f"finding {value}")
    if not value.isdigit():
        raise InvalidInput("this button does not name a reconciliation finding")
    draft = await press.deps.read(lambda session: refund_draft(session, int(value)))
    await press.client.views_open(
        trigger_id=press.trigger_id, view=refund_form_view(draft, channel=press.channel)
    )
