"""Publishing the home tab: status first (fast), then again with the top customers.

The top customers take one draft invoice per active customer, so they are computed
after the first publish and kept for a few minutes for everyone who opens the tab.
"""

from __future__ import annotations

import time

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.views.home import TopCustomer, home_view
from core.agreements.overview import ending_soon
from core.billing.top_customers import top_customers
from core.reports.status import collect_status

CACHE_SECONDS = 300


async def publish_home(client: AsyncWebClient, deps: SlackDeps, user_id: str) -> None:
    now = deps.now()
    month = now.strftime("%B %Y")
    status = await deps.read(lambda session: collect_status(session, now=now))
    ending = await deps.read(lambda session: ending_soon(session, now=now))
    admin = deps.services.admins.allows(user_id)
    cached = deps.cache.get(f"top:{month}")
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        view = home_view(status, cached[1], month=month, is_admin=admin, ending=ending)
        await client.views_publish(user_id=user_id, view=view)
        return
    await client.views_publish(
        user_id=user_id, view=home_view(status, None, month=month, is_admin=admin, ending=ending)
    )
    ranked = await deps.read(lambda session: top_customers(session, now=now))
    top = [TopCustomer(r.name, r.total, r.currency) for r in ranked]
    deps.cache[f"top:{month}"] = (time.monotonic(), top)
    await client.views_publish(
        user_id=user_id, view=home_view(status, top, month=month, is_admin=admin, ending=ending)
    )
