""" "Confirm send": acknowledge at once, send through the ledger, then show each status.

The modal turns into "Sending…" in the acknowledgement; the send runs in a worker
thread (database and boto3 block); the modal is then updated with every record's
status and the channel is told what was sent, by whom, with a Retry for failures.
A submission is handled once, however often Slack delivers it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import reported
from bot.slack.listeners.modal_outcome import OpenModal, refused
from bot.slack.views.entry import ResultRow, entries_from_metadata, result_view, sending_view
from core.access import SEND_USAGE
from core.marketplace.submit import SubmitReport, send_manual
from core.usage.manual_entry import Entry

log = logging.getLogger(__name__)


async def confirm_send(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    if await refused(ack, deps, user, SEND_USAGE, subject="confirm view", title="Not sent"):
        return
    if not deps.handled.claim(f"confirm:{view['id']}"):
        log.info("confirm view %s submitted again; already handled", view["id"])
        await ack()
        return
    entries = entries_from_metadata(view.get("private_metadata", ""))
    await ack(response_action="update", view=sending_view(len(entries)))
    async with reported(body, client):
        await _send(entries, user=user, modal=OpenModal(client, view["id"]), deps=deps)


async def _send(entries: list[Entry], *, user: str, modal: OpenModal, deps: SlackDeps) -> None:
    send = deps.send(send_manual, actor=user, entries=entries)
    report = await modal.outcome(send, what=f"manual send by {user}")
    if report is None:
        return
    await modal.show(_result(report))
    message = report.message(every_record=True)
    await deps.notifier.send(replace(message, facts=[("sent by", f"<@{user}>"), *message.facts]))


def _result(report: SubmitReport) -> dict[str, Any]:
    rows = [
        ResultRow(str(o.customer), str(o.dimension), o.quantity, str(o.status), o.error)
        for o in report.outcomes
    ]
    return result_view(rows, summary=report.message().summary)
