"""The scheduled jobs, thin: call one core function in a worker thread, post what matters.

Each job takes `now` (the tick's clock reading) and returns a one-line summary for the
job-run record. The core functions are fields of `Jobs` so tests can hand in their own;
exceptions are left to the runner, which logs, records and reports them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine

from core.agreements import AgreementClient, AgreementsReport, sync_agreements
from core.billing.month_close import close_month, month_close_message
from core.db import session_scope
from core.ingest.pipeline import ingest_pass
from core.ingest.report import IngestReport
from core.ingest.sources.open import open_source
from core.marketplace.client import Sender
from core.marketplace.report import SubmitReport
from core.marketplace.submit import submit_due
from core.notifier import Message, Notifier
from core.periods import Period, hour_floor, month_of, previous_month
from core.reconcile import CloudTrailReader, InvoiceReader, ReconcileReport, reconcile_and_keep
from core.reports.digests import DigestKind, build_digest, digest_message
from core.salesforce.sync import SyncReport, sync_from_salesforce
from core.settings import Settings
from scheduler.pass_notices import alert_notices, ingest_notices, submit_notices, sync_notices

log = logging.getLogger(__name__)

JobBody = Callable[[datetime], Awaitable[str]]


class ServicesLike(Protocol):
    """What the jobs need from the composition root (bot.app.Services)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def s3(self) -> Any: ...
    @property
    def s3_getter(self) -> Any: ...
    @property
    def marketplace(self) -> Any: ...
    @property
    def sender(self) -> Sender: ...
    @property
    def agreements(self) -> Any: ...
    @property
    def cloudtrail(self) -> Any: ...


@dataclass
class Jobs:
    services: ServicesLike
    notifier: Notifier
    replica: str
    ingest_pass: Callable[..., IngestReport] = ingest_pass
    open_source: Callable[..., Any] = open_source
    submit_due: Callable[..., SubmitReport] = submit_due
    sync_customers: Callable[..., SyncReport] = sync_from_salesforce
    sync_agreements: Callable[..., AgreementsReport] = sync_agreements
    reconcile_and_keep: Callable[..., ReconcileReport] = reconcile_and_keep
    posted: list[Message] = field(default_factory=list)  # what this process posted, newest last
    alerts_hour: datetime | None = field(default=None, repr=False)  # last hour alerts ran in

    async def post(self, message: Message, *, digest: bool = False) -> None:
        settings = self.services.settings
        channel = (settings.digest_channel or settings.channel) if digest else settings.channel
        await self.notifier.send(message, channel=channel)
        self.posted.append(message)

    def _source(self, url: str) -> Any:
        if not url.startswith("s3://"):
            return self.open_source(url, s3_client=None)
        return self.open_source(url, s3_client=self.services.s3, s3_getter=self.services.s3_getter)

    async def ingest(self, now: datetime) -> str:
        """One ingestion pass, then the alert rules against the fresh rollups."""
        url = self.services.settings.usage_url
        if not url:
            return "METERBOT_USAGE_URL is not set; nothing to ingest"
        # The clients are built in the thread too: boto3 looks up credentials as it builds one.
        source = await asyncio.to_thread(self._source, url)
        report = await asyncio.to_thread(
            lambda: self.ingest_pass(
                self.services.engine,
                source=source,
                now=now,
                worker=self.replica,
                late_usage=self.services.settings.late_usage,
            )
        )
        for message in ingest_notices(report):
            await self.post(message)
        # Rules only change with new usage or a new hour (spikes, a new month): skip otherwise.
        if report.objects or report.resolved or self.alerts_hour != hour_floor(now):
            self.alerts_hour = hour_floor(now)
            return f"{report.summary()}; {await self.alerts(now)}"
        return f"{report.summary()}; alerts unchanged"

    async def alerts(self, now: datetime) -> str:
        messages = await asyncio.to_thread(alert_notices, self.services.engine, now)
        for message in messages:
            await self.post(message)
        return f"{len(messages)} alerts"

    async def salesforce(self, now: datetime) -> str:
        report = await asyncio.to_thread(
            self.sync_customers, self.services.engine, self.services.settings, now=now
        )
        for message in sync_notices(report):
            await self.post(message)
        return report.message().summary

    async def agreements(self, now: datetime) -> str:
        """AWS's agreements changed since the last pass into customers and contracts."""
        report = await asyncio.to_thread(
            lambda: self.sync_agreements(
                self.services.engine, AgreementClient(self.services.agreements), now=now
            )
        )
        if report.changed:
            await self.post(report.message())
        return report.message().summary

    async def reconcile_weekly(self, now: datetime) -> str:
        """The months the last week touched, against CloudTrail; posted when open."""
        months = sorted({month_of(now - timedelta(days=7)), month_of(now)}, key=lambda p: p.start)
        summaries = []
        for month in months:
            report = await self._reconcile(month, now, "reconcile_weekly")
            if report.open:
                await self.post(await asyncio.to_thread(report.posted))
            summaries.append(report.message().summary)
        return "; ".join(summaries)

    async def reconcile_monthly(self, now: datetime) -> str:
        """Last month, once AWS has issued its invoices: records and money, always posted."""
        report = await self._reconcile(month_of(previous_month(now)), now, "reconcile_monthly")
        await self.post(await asyncio.to_thread(report.posted))  # with the weekly chart
        return report.message().summary

    async def _reconcile(self, month: Period, now: datetime, actor: str) -> ReconcileReport:
        services = self.services
        return await asyncio.to_thread(
            lambda: self.reconcile_and_keep(
                services.engine,
                trail=CloudTrailReader(services.cloudtrail),  # boto3 built in the thread
                invoices=InvoiceReader(services.agreements),
                period=month,
                now=now,
                actor=actor,
                tolerance=services.settings.reconcile_tolerance,
            )
        )

    async def submit(self, now: datetime) -> str:
        return await self._submit(now, heartbeat=self.services.settings.heartbeat)

    async def retry(self, now: datetime) -> str:
        """The mid-hour pass: what failed transiently or arrived late goes out now."""
        return await self._submit(now, heartbeat=False)

    async def _submit(self, now: datetime, *, heartbeat: bool) -> str:
        report = await asyncio.to_thread(
            lambda: self.submit_due(
                self.services.engine,
                client=self.services.sender,  # built (boto3, blocking) in the thread, not the loop
                now=now,
                dry_run=self.services.settings.dry_run,
                actor="scheduled",
                heartbeat=heartbeat,
                late_usage=self.services.settings.late_usage,
            )
        )
        for message in submit_notices(report):
            await self.post(message)
        return report.message().summary

    async def daily_digest(self, now: datetime) -> str:
        return await self._digest("day", now)

    async def weekly_digest(self, now: datetime) -> str:
        return await self._digest("week", now)

    async def _digest(self, kind: DigestKind, now: datetime) -> str:
        message = await asyncio.to_thread(_digest_message, self.services.engine, kind, now)
        await self.post(message, digest=True)
        return message.title

    async def invoices(self, now: datetime) -> str:
        """Finalize every customer's invoice for the month just closed and post them."""
        month = month_of(previous_month(now))
        docs = await asyncio.to_thread(close_month, self.services.engine, period=month, now=now)
        message = month_close_message(month, docs)
        await self.post(message)
        return message.summary


def _digest_message(engine: Engine, kind: DigestKind, now: datetime) -> Message:
    with session_scope(engine) as session:
        return digest_message(build_digest(session, period=kind, now=now))
