"""Retry on a failure notification: resend the failed ledger records (admins only).

The button's value is the comma-separated ledger ids (core.notifier.RETRY_ACTION).
The same message clicked twice (or Slack retrying the click) retries once.
"""

from __future__ import annotations

from bot.slack.acked import Interaction, after_ack
from core.access import RETRY_RECORDS
from core.marketplace.submit import retry_records as retry


@after_ack
async def retry_records(press: Interaction) -> None:
    deps, value = press.deps, press.value
    # Refused before claiming the message, so an admin's click on it still retries.
    deps.services.admins.require(press.user, RETRY_RECORDS, subject=value)
    message_ts = (press.body.get("container") or {}).get("message_ts", "")
    if not deps.handled.claim(f"retry:{message_ts}:{value}"):
        await press.respond(
            text="Those records are already being retried.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    record_ids = [int(part) for part in value.split(",") if part.strip().isdigit()]
    report = await deps.send(retry, actor=press.user, record_ids=record_ids)
    await deps.notifier.send(report.message(), channel=press.channel)
