"""Only METERBOT_ADMINS send usage or retry; others get a polite refusal, and it is audited."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from bot.slack import ids
from bot.slack.views.entry import confirm_view
from core.models import AuditEvent
from core.usage.manual_entry import Entry
from tests.slack.conftest import Bot
from tests.slack.helpers import block_id, open_form_for, reply_containing
from tests.slack.signed import USER, quantity_values


def _audited(bot: Bot) -> list[str]:
    with Session(bot.services.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.actor == USER)).all()
    return [e.action for e in events]


async def test_non_admin_cannot_open_the_form(bot: Bot) -> None:
    await bot.says.command("enter acme", user=USER)
    reply = await reply_containing(bot.slack, "only meterbot admins can enter and send usage")
    assert reply.body["response_type"] == "ephemeral"
    assert not bot.slack.calls_to("views.open")
    assert _audited(bot) == ["refused:enter_usage"]


async def test_non_admin_submissions_are_refused(bot: Bot) -> None:
    # A form or confirm view that reached a non-admin (shared, or an admin removed since).
    form = await open_form_for(bot, "acme")
    field = block_id(bot, "Acme Corp", bot.world.storage_id)
    answer = await (
        await bot.says.submit(form, quantity_values({field: "1"}), view_id="V1", user=USER)
    ).json()
    assert (
        answer["response_action"] == "errors" and "only meterbot admins" in answer["errors"][field]
    )

    entries = [Entry(bot.world.customers["Acme Corp"], bot.world.storage_id, Decimal(1))]
    confirm = confirm_view([], entries)
    answer = await (await bot.says.submit(confirm, {}, view_id="V2", user=USER)).json()
    assert answer["response_action"] == "update" and "only meterbot admins" in str(answer["view"])
    assert bot.marketplace.calls == 0
    assert _audited(bot) == ["refused:send_usage", "refused:send_usage"]


async def test_non_admin_enter_usage_button(bot: Bot) -> None:
    await bot.says.click(ids.ENTER_USAGE, str(bot.world.product_id), user=USER)
    await reply_containing(bot.slack, "only meterbot admins")
    assert _audited(bot) == ["refused:enter_usage"]
