"""Transport: signatures, Slack's retries of a request, and the Web API's 429s and 5xx."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from bot.slack import ids
from tests.slack.conftest import Bot
from tests.slack.helpers import block_id, open_form_for, reply_containing, view_update_for
from tests.slack.signed import quantity_values


async def test_bad_or_stale_signature_gets_401(bot: Bot) -> None:
    body = "command=%2Fmeter&text=status&user_id=UADMIN001"
    forged = await bot.http.post(
        "/slack/events",
        data=body,
        headers={
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert forged.status == 401
    stale = await bot.says.post(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600
    )
    assert stale.status == 401
    assert not bot.slack.calls_to("response_url")


async def test_slack_429_and_500_are_retried_by_the_client(bot: Bot) -> None:
    bot.slack.fail_next(1, status=429, retry_after="0", method="views.open")
    bot.slack.fail_next(1, status=500, method="views.open")
    form = await open_form_for(bot, "globex")  # views.open: 429, then 500, then done
    assert len(bot.slack.calls_to("views.open")) == 3
    assert "Globex" in json.dumps(form)


async def test_a_retried_command_does_nothing_twice(bot: Bot) -> None:
    await bot.says.command("enter acme", trigger_id="trigger.same")
    await bot.slack.wait_for("views.update")
    retried = await bot.says.command("enter acme", trigger_id="trigger.same", retry=1)
    assert retried.status == 200
    await bot.says.command("status")  # a later, fresh command still works
    await reply_containing(bot.slack, "meterbot status")
    assert len(bot.slack.calls_to("views.open")) == 1


async def test_a_confirm_delivered_twice_sends_once(bot: Bot) -> None:
    form = await open_form_for(bot, "acme")
    field = block_id(bot, "Acme Corp", bot.world.storage_id)
    pushed = await (await bot.says.submit(form, quantity_values({field: "3"}), view_id="VF")).json()
    confirm = pushed["view"]
    await bot.says.submit(confirm, {}, view_id="VC1")
    await bot.says.submit(confirm, {}, view_id="VC1", retry=1)  # Slack's redelivery
    await bot.says.submit(confirm, {}, view_id="VC1")  # a double click
    await view_update_for(bot.slack, "VC1")
    await bot.slack.wait_for("chat.postMessage")
    assert bot.marketplace.calls == 1
    assert len(bot.slack.calls_to("chat.postMessage")) == 1


async def test_options_are_answered_while_worker_threads_are_busy(bot: Bot) -> None:
    # Scheduled jobs (a long ingestion pass, a Salesforce sync, a digest) hold the
    # event loop's worker threads for minutes; a picker's options are due in 3 seconds.
    loop = asyncio.get_running_loop()
    release = threading.Event()
    busy = [loop.run_in_executor(None, release.wait, 10) for _ in range(40)]
    try:
        started = time.monotonic()
        answer = await bot.says.suggest(
            ids.CONTRACT_PICKER, f"{ids.CONTRACT_PICKER_BLOCK}:{bot.world.product_id}", "ac"
        )
        elapsed = time.monotonic() - started
        options = (await answer.json())["options"]
    finally:
        release.set()
        await asyncio.gather(*busy)
    assert [o["text"]["text"] for o in options] == ["Acme Corp · Pro"]
    assert elapsed < 3
