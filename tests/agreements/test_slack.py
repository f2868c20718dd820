"""Slack shows AWS's side: where a contract comes from, how it differs from the plans file,
AWS's prices in the confirm view, and subscriptions ending soon on the home tab."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from core.agreements import AgreementClient, sync_agreements
from core.models import Customer
from tests.agreements.conftest import ACCOUNT, ARN
from tests.fakes.agreements import AgreementStandIn
from tests.fakes.slack_api import check_view
from tests.slack.conftest import Bot, bot, marketplace, slack  # noqa: F401
from tests.slack.signed import USER, quantity_values
from tests.slack.test_enter_usage_flow import _block, _contracts_message, _open_form


@pytest.fixture
def aws_bot(bot: Bot, agreements: AgreementStandIn) -> Bot:  # noqa: F811
    """Acme Corp's contract is an AWS agreement ending in 20 days, on other terms."""
    now = datetime.now(UTC)
    with Session(bot.services.engine) as session:
        acme = session.get(Customer, bot.world.customers["Acme Corp"])
        assert acme is not None
        acme.aws_account_id = ACCOUNT
        session.add(acme)
        session.commit()
    agreements.add_agreement(
        "agmt-acme",
        account=ACCOUNT,
        license_arn=ARN,
        start=now - timedelta(days=10),
        end=now + timedelta(days=20),
        entitlements={"api_calls": 1200},
        rates={"api_calls": "0.002", "storage_tb": "25"},
    )
    client = AgreementClient(agreements.boto_client())
    sync_agreements(bot.services.engine, client, now=now)
    return bot


async def test_contracts_say_where_they_come_from_and_what_differs(aws_bot: Bot) -> None:
    text = json.dumps(await _contracts_message(aws_bot))

    assert text.count("Acme Corp") == 1  # AWS's contract stands over the plans file's
    assert "from AWS agreement agmt-acme" in text and "Globex" in text
    assert "Pro (subscription), from plans file" not in text
    assert "1500 call of 1200 entitled" in text
    assert "api_calls: AWS entitles 1200, the plans file 1000" in text
    assert "api_calls: AWS price 0.002 USD, the plans file 0.001" in text
    assert "storage_tb: AWS price 25 USD, the plans file 20" in text


async def test_the_confirm_view_estimates_at_aws_prices(aws_bot: Bot) -> None:
    form = await _open_form(aws_bot, ["Acme Corp"])
    w = aws_bot.world
    values = quantity_values(
        {
            _block(aws_bot, "Acme Corp", w.storage_id): "2.5",
            _block(aws_bot, "Acme Corp", w.calls_id): "300",
        }
    )
    answer = await (await aws_bot.says.submit(form, values, view_id="VFORM0001")).json()
    confirm = answer["view"]
    check_view(confirm)
    text = json.dumps(confirm)
    # 2.5 TB at AWS's $25 (the plan says $20); 300 calls beyond AWS's 1,200 at $0.002.
    assert "$62.50 (AWS price)" in text and "$0.60 (AWS price)" in text


async def test_the_home_tab_lists_subscriptions_ending_within_30_days(aws_bot: Bot) -> None:
    await aws_bot.says.event(
        {"type": "app_home_opened", "user": USER, "channel": "D1", "tab": "home", "event_ts": "1.0"}
    )
    first, _ = await aws_bot.slack.wait_for("views.publish", count=2)
    view = json.dumps(first.body["view"])
    assert "Ending within 30 days* (1)" in view
    assert "Acme Corp* (contract) ends" in view and "from AWS agreement agmt-acme" in view
