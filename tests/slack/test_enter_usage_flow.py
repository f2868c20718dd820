"""End to end: /meter contracts -> pick -> Enter usage -> confirm -> send -> notify -> retry.

Everything real but Slack and AWS themselves: signed requests into the Bolt app served
by bot.server, the Web API stand-in checking every view, the Marketplace stand-in
enforcing AWS's rules, and the ledger in the test database.
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from bot.slack import ids
from core.models import AuditEvent, LedgerStatus, MeteringRecord
from core.notifier import RETRY_ACTION
from tests.fakes.slack_api import check_view
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing, view_update_for
from tests.slack.signed import ADMIN, CHANNEL, USER, quantity_values

ACK_BUDGET = 3.0  # Slack's deadline; every acknowledgement must beat it


async def _contracts_message(bot: Bot) -> list[dict[str, Any]]:
    before = len(bot.slack.calls_to("response_url"))
    started = time.monotonic()
    response = await bot.says.command("contracts")
    assert response.status == 200 and time.monotonic() - started < ACK_BUDGET
    replies = await bot.slack.wait_for("response_url", count=before + 1)
    return list(replies[-1].body["blocks"])


def _picker_block(blocks: list[dict[str, Any]]) -> str:
    return next(
        b["block_id"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == ids.CONTRACT_PICKER
    )


async def _open_form(bot: Bot, names: list[str]) -> dict[str, Any]:
    block_id = _picker_block(await _contracts_message(bot))
    chosen = [{"value": str(bot.world.contracts[n])} for n in names]
    state = {
        block_id: {
            ids.CONTRACT_PICKER: {"type": "multi_external_select", "selected_options": chosen}
        }
    }
    response = await bot.says.click(ids.ENTER_USAGE, str(bot.world.product_id), state=state)
    assert response.status == 200
    updated = (await bot.slack.wait_for("views.update"))[-1]
    assert len(bot.slack.calls_to("views.open")) == 1  # opened at once, filled in after
    return dict(updated.body["view"])


def _block(bot: Bot, customer: str, dimension_id: int) -> str:
    return ids.quantity_block_id(bot.world.customers[customer], dimension_id)


async def test_contracts_to_confirmed_send_and_channel_notice(bot: Bot) -> None:
    blocks = await _contracts_message(bot)
    text = json.dumps(blocks)
    assert "Acme Corp" in text and "Globex" in text and "1500 call of 1000 entitled" in text
    assert "*500 over*" in text

    # The picker offers the product's contracts, filtered by what is typed.
    options = await bot.says.suggest(ids.CONTRACT_PICKER, _picker_block(blocks), "ac")
    assert [o["text"]["text"] for o in (await options.json())["options"]] == ["Acme Corp · Pro"]

    form = await _open_form(bot, ["Acme Corp", "Initech"])
    assert form["callback_id"] == ids.ENTER_USAGE_VIEW
    w = bot.world
    values = quantity_values(
        {
            _block(bot, "Acme Corp", w.storage_id): "2.5",
            _block(bot, "Acme Corp", w.calls_id): "300",
            _block(bot, "Initech", w.storage_id): None,
            _block(bot, "Initech", w.calls_id): "10",
        }
    )
    pushed = await bot.says.submit(form, values, view_id="VFORM0001")
    answer = await pushed.json()
    assert answer["response_action"] == "push"
    confirm = answer["view"]
    check_view(confirm)
    confirm_text = json.dumps(confirm)
    # 2.5 TB at $20, and 300 calls beyond the 1,000 entitled already used up: 300 x $0.001.
    assert "$50.00" in confirm_text and "$0.30" in confirm_text and "Initech" in confirm_text

    started = time.monotonic()
    sent = await bot.says.submit(confirm, {}, view_id="VCONFIRM1")
    assert time.monotonic() - started < ACK_BUDGET
    assert (await sent.json())["response_action"] == "update"

    result = await view_update_for(bot.slack, "VCONFIRM1")
    assert "accepted" in json.dumps(result) and "not subscribed" in json.dumps(result)
    [notice] = await bot.slack.wait_for("chat.postMessage")
    assert notice.body["channel"] == CHANNEL
    notice_text = json.dumps(notice.body["blocks"])
    assert f"<@{ADMIN}>" in notice_text and "not subscribed" in notice_text
    # Who sent what: customer, dimension, hour, quantity with its unit, status.
    hour = r"\d{4}-\d\d-\d\d \d\d:00Z"
    model = r"\(customer_identifier\)"
    assert re.search(rf"Acme Corp storage_tb {hour} 2.5 TB {model}: accepted", notice_text)
    assert re.search(rf"Acme Corp api_calls {hour} 300 call {model}: accepted", notice_text)
    assert re.search(rf"Initech api_calls {hour} 10 call {model}: not_subscribed", notice_text)

    billed = {(c, d): q for (_, c, d, _), q in bot.marketplace.billed().items()}
    assert billed == {
        ("cust-acme", "storage_tb"): Decimal("2.5"),
        ("cust-acme", "api_calls"): Decimal(300),
    }
    with Session(bot.services.engine) as session:
        rows = session.exec(select(MeteringRecord)).all()
    assert {r.source for r in rows} == {ADMIN}
    assert sorted(r.status for r in rows) == ["accepted", "accepted", "not_subscribed"]

    # Retry on the notice: refused (and audited) for a non-admin, done for an admin.
    retry = _button(notice.body["blocks"], RETRY_ACTION)
    await bot.says.click(RETRY_ACTION, retry["value"], user=USER)
    refusal = await reply_containing(bot.slack, "only meterbot admins")
    assert refusal.body["response_type"] == "ephemeral"
    with Session(bot.services.engine) as session:
        audit = session.exec(select(AuditEvent).where(AuditEvent.actor == USER)).all()
    assert [a.action for a in audit] == ["refused:retry_records"]

    bot.marketplace.subscribe("prod-dataplat", "cust-initech")
    await bot.says.click(
        RETRY_ACTION, retry["value"], user=ADMIN, message_ts=notice.body.get("ts", "1")
    )
    await bot.slack.wait_for("chat.postMessage", count=2)
    with Session(bot.services.engine) as session:
        statuses = {r.status for r in session.exec(select(MeteringRecord))}
    assert statuses == {LedgerStatus.ACCEPTED}


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )
