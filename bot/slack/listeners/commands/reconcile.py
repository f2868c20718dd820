"""/meter reconcile [YYYY-MM]: the month's ledger against AWS, posted to this channel with
the weekly chart of sent vs invoiced and a "Request refund" button per over-charged invoice."""

from __future__ import annotations

from core.notifier import Message
from core.periods import month_label, month_of, parse_month
from core.reconcile import CloudTrailReader, InvoiceReader, reconcile_and_keep

from .request import CommandRequest


async def run(req: CommandRequest) -> None:
    now = req.deps.now()
    period = parse_month(req.rest) if req.rest.strip() else month_of(now)
    await req.reply(f"Reconciling {month_label(period)} with what AWS received and invoiced...")
    services = req.deps.services

    def reconcile() -> Message:  # boto3 clients are built and the chart drawn in the thread
        return reconcile_and_keep(
            services.engine,
            trail=CloudTrailReader(services.cloudtrail),
            invoices=InvoiceReader(services.agreements),
            period=period,
            now=now,
            actor=req.user_id,
            tolerance=services.settings.reconcile_tolerance,
        ).posted()

    await req.deps.notifier.send(await req.deps.blocking(reconcile), channel=req.channel_id)
