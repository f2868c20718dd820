"""/meter subcommands other than the send flow: help, usage, plans, invoice, status, home."""

from __future__ import annotations

import json

from sqlmodel import Session

from core.models import Customer
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing
from tests.slack.signed import CHANNEL, USER


async def test_typo_gets_help_with_a_suggestion(bot: Bot) -> None:
    await bot.says.command("contrcts acme", user=USER)
    reply = await reply_containing(bot.slack, "did you mean")
    assert "`/meter contracts`" in json.dumps(reply.body["blocks"])
    assert reply.body["response_type"] == "ephemeral"

    await bot.says.command("", user=USER)
    await reply_containing(bot.slack, "What /meter can do")


async def test_unknown_customer_is_a_private_hint_not_a_trace(bot: Bot) -> None:
    await bot.says.command("usage Acne Corp month", user=USER)
    reply = await reply_containing(bot.slack, "no customer matches")
    assert "did you mean Acme Corp" in reply.body["text"]
    assert reply.body["response_type"] == "ephemeral"


async def test_usage_chart_is_uploaded_to_the_channel(bot: Bot) -> None:
    await bot.says.command('usage "acme corp" day', user=USER)
    [complete] = await bot.slack.wait_for("files.completeUploadExternal")
    [upload] = bot.slack.calls_to("upload")
    assert upload.data.startswith(b"\x89PNG")
    assert complete.body["channel_id"] == CHANNEL
    assert "API calls: 1500 call (total)" in complete.body["initial_comment"]


async def test_plans_invoice_and_status(bot: Bot) -> None:
    await bot.says.command("plans", user=USER)
    plans = await reply_containing(bot.slack, "Recurring fee")
    assert "$500.00" in json.dumps(plans.body["blocks"])

    await bot.says.command("invoice 001000000000000000", user=USER)  # by Salesforce id
    invoice = await reply_containing(bot.slack, "Invoice")
    text = json.dumps(invoice.body["blocks"])
    assert "Acme Corp" in text and "```" in text

    await bot.says.command("status", user=USER)
    status = await reply_containing(bot.slack, "meterbot status")
    assert "no usage has been ingested yet" in json.dumps(status.body["blocks"])


async def test_home_tab_shows_status_then_top_customers(bot: Bot) -> None:
    await bot.says.event(
        {"type": "app_home_opened", "user": USER, "channel": "D1", "tab": "home", "event_ts": "1.0"}
    )
    first, second = await bot.slack.wait_for("views.publish", count=2)
    assert first.body["user_id"] == USER
    assert "Working out" in json.dumps(first.body["view"])
    top = json.dumps(second.body["view"])
    assert "Acme Corp" in top and "Top customers" in top


async def test_unexpected_error_is_logged_and_the_user_gets_an_apology(bot: Bot) -> None:
    from bot.slack.views.entry import confirm_view

    tampered = {**confirm_view([], []), "private_metadata": "not json"}
    await bot.says.submit(tampered, {}, view_id="VBAD")
    [dm] = await bot.slack.wait_for("chat.postMessage")
    assert dm.body["channel"] == "UADMIN001" and "went wrong" in dm.body["text"]
    assert bot.marketplace.calls == 0


async def test_healthz_and_metrics(bot: Bot) -> None:
    response = await bot.http.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body == {"status": "ok", "database": "ok", "version": body["version"]}
    assert (await bot.http.get("/metrics")).status == 200


async def test_digest_is_posted_to_the_channel_once_even_if_slack_retries(bot: Bot) -> None:
    await bot.says.command("digest", user=USER)
    await bot.says.command("digest", user=USER, retry=1)  # Slack's redelivery of the same
    [posted] = await bot.slack.wait_for("chat.postMessage")
    assert posted.body["channel"] == CHANNEL
    await bot.slack.wait_for("files.completeUploadExternal")  # the digest's chart, in thread
    assert len(bot.slack.calls_to("chat.postMessage")) == 1


async def test_alert_rules_admins_change_everyone_reads(bot: Bot) -> None:
    await bot.says.command("alerts add storage_tb > 500 for acme", user=USER)
    await reply_containing(bot.slack, "only meterbot admins can change alert rules")

    await bot.says.command("alerts add storage_tb > 500 for acme")
    added = await reply_containing(bot.slack, "Added alert rule #")
    rule_id = added.body["text"].split("#")[1].split(":")[0]
    await bot.says.command("alerts", user=USER)
    listed = await reply_containing(bot.slack, "*Alert rules*")
    assert "Acme Corp" in json.dumps(listed.body["blocks"])

    await bot.says.command(f"alerts remove {rule_id}")
    await reply_containing(bot.slack, f"Removed alert rule #{rule_id}")
    await bot.says.command("alerts remove 999")
    await reply_containing(bot.slack, "no alert rule #999")


async def test_an_alert_rule_for_a_customer_with_a_long_name(bot: Bot) -> None:
    # Salesforce account names run to 255 characters; the stored rule text holds as many.
    long_name = "Globex Holdings " + "International " * 16 + "Ltd"
    with Session(bot.services.engine) as session:
        customer = session.get(Customer, bot.world.customers["Globex"])
        assert customer is not None
        customer.name = long_name[:255]
        session.add(customer)
        session.commit()

    await bot.says.command("alerts add storage_tb spike 3x over 48h for globex holdings")
    added = await reply_containing(bot.slack, "Added alert rule #")
    rule_id = added.body["text"].split("#")[1].split(":")[0]
    await bot.says.command(f"alerts remove {rule_id}")
    await reply_containing(bot.slack, f"Removed alert rule #{rule_id}")
    assert not [c for c in bot.slack.calls_to("response_url") if "went wrong" in str(c.body)]
