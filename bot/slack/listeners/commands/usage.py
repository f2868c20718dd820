"""/meter usage CUSTOMER [day|month]: the figures, and a chart uploaded to the channel."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.slack.subcommands import require, split_last
from bot.slack.views.usage import chart_title, usage_blocks, usage_summary
from core.customers.lookup import find_customer
from core.reports.charts import usage_chart
from core.usage.series import UsageSeries, usage_series

from .request import CommandRequest

USAGE = "usage CUSTOMER [day|month]"


async def run(req: CommandRequest) -> None:
    name, granularity = split_last(req.rest, {"day", "month"})
    require(name, USAGE)
    now = req.deps.now()

    def load(session: Session) -> UsageSeries:
        customer = find_customer(session, name)
        return usage_series(session, customer=customer, granularity=granularity or "month", now=now)

    series = await req.deps.read(load)
    png = await req.deps.blocking(_draw, series)
    try:
        await req.client.files_upload_v2(
            channel=req.channel_id,
            file=png,
            filename="usage.png",
            title=chart_title(series),
            initial_comment=usage_summary(series),
        )
    except SlackApiError as exc:
        # Typically the bot is not in this channel: still give the figures, privately.
        note = f"_No chart: Slack said {exc.response.get('error')}. Invite meterbot here._"
        await req.reply(usage_summary(series), usage_blocks(series, note=note))


def _draw(series: UsageSeries) -> bytes:
    panels = {d.name: d.points for d in series.dimensions}
    units = {d.name: d.unit for d in series.dimensions}
    return usage_chart(panels, title=chart_title(series), units=units)
