"""The scheduled reconciliations: weekly over the month so far, monthly after invoices."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from scheduler.jobs import Jobs
from scheduler.runner import job_specs
from tests.reconcile.conftest import H1, Books, trade
from tests.reconcile.test_records import foreign_send
from tests.scheduler.conftest import RecordingNotifier, services

SCHEDULES = {
    "METERBOT_SCHEDULE_RECONCILE": "0 9 * * mon",
    "METERBOT_SCHEDULE_RECONCILE_MONTHLY": "0 9 8 * *",
}


def test_the_jobs_run_only_against_a_live_account(books: Books, agreements) -> None:
    notifier = RecordingNotifier()
    live = services(books.world.engine, METERBOT_MARKETPLACE="live", **SCHEDULES)
    names = [s.name for s in job_specs(Jobs(services=live, notifier=notifier, replica="r"))]
    assert names == ["reconcile_weekly", "reconcile_monthly"]
    dry = services(books.world.engine, **SCHEDULES)
    assert job_specs(Jobs(services=dry, notifier=notifier, replica="r")) == []


def test_weekly_posts_only_when_open_and_monthly_always(books: Books, agreements) -> None:
    live = services(books.world.engine, METERBOT_MARKETPLACE="live")
    live.cloudtrail = books.trail.boto_client()
    live.agreements = agreements.boto_client()
    notifier = RecordingNotifier()
    jobs = Jobs(services=live, notifier=notifier, replica="r")
    trade(books)

    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert asyncio.run(jobs.reconcile_weekly(monday)) == "the ledger agrees with what AWS received"
    assert notifier.titles == []

    foreign_send(books, "cust-alpha", "storage_tb", H1, "1.5")
    assert asyncio.run(jobs.reconcile_weekly(monday)) == "1 to look at"
    assert notifier.titles == ["Reconciliation 2026-11"]
    [(message, _)] = notifier.sent
    assert "billed twice" in message.as_text()

    eighth = datetime(2026, 12, 8, 9, tzinfo=UTC)
    assert asyncio.run(jobs.reconcile_monthly(eighth)) == "1 to look at"
    assert notifier.titles == ["Reconciliation 2026-11"] * 2
