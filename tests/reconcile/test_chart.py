"""The monthly reconcile post carries a PNG chart of sent vs invoiced per week, uploaded
in the post's thread through the Slack Web API stand-in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier import SlackNotifier
from core.reconcile.weekly import WeeklyMoney, week_of
from scheduler.jobs import Jobs
from tests.fakes.slack_api import SlackApiStandIn
from tests.reconcile.conftest import H1, H2, Books
from tests.scheduler.conftest import services

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_the_monthly_post_uploads_the_weekly_chart(priced: Books, agreements) -> None:
    agreements.add_invoice("agmt-beta", "inv-1", month=(2026, 11), amount="95.00")
    live = services(priced.world.engine, METERBOT_MARKETPLACE="live")
    live.cloudtrail = priced.trail.boto_client()
    live.agreements = agreements.boto_client()
    async with SlackApiStandIn() as slack:
        notifier = SlackNotifier(AsyncWebClient(token="xoxb-t", base_url=slack.api_url),
                                 channel="CMETER001")  # fmt: skip
        jobs = Jobs(services=live, notifier=notifier, replica="r")
        await jobs.reconcile_monthly(datetime(2026, 12, 8, 9, tzinfo=UTC))
        [post] = slack.calls_to("chat.postMessage")
        [complete] = slack.calls_to("files.completeUploadExternal")
        [upload] = slack.calls_to("upload")
    assert complete.body["thread_ts"] and complete.body["channel_id"] == "CMETER001"
    assert "Request refund" in str(post.body["blocks"])  # 95.00 invoiced, 70.00 metered
    assert upload.data.startswith(PNG_SIGNATURE)
    assert "Sent vs invoiced 2026-11" in complete.body["files"]


def test_money_is_summed_by_the_monday_of_its_week() -> None:
    weekly = WeeklyMoney()
    weekly.add_sent([(H1, Decimal("70")), (H2, Decimal("0.50"))])
    weekly.add_invoiced([(datetime(2026, 12, 3, tzinfo=UTC), Decimal("95.00"))])
    assert week_of(H1) == date(2026, 11, 16)  # H1 is Sunday 2026-11-22
    assert weekly.sent == {date(2026, 11, 16): Decimal("70.50")}
    assert weekly.weeks == [date(2026, 11, 16), date(2026, 11, 30)]
