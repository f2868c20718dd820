"""collect_status reads the tables as they are: lag, problems, the ledger's backlog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from core.models import IngestedObject, MeteringRecord, UnmatchedUsage
from core.models.ingest import ObjectStatus
from core.reports.job_runs import claim_run, finish_run
from core.reports.status import collect_status
from tests.slack.world import seed

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)


def test_status_counts_what_needs_a_look(engine: Engine) -> None:
    world = seed(engine, now=NOW)
    acme = world.customers["Acme Corp"]
    with Session(engine) as session:
        session.add_all(
            [
                IngestedObject(
                    source="s3://b/",
                    key="a",
                    etag="1",
                    status=ObjectStatus.DONE,
                    finished_at=NOW - timedelta(hours=3),
                    rejected=7,
                ),
                IngestedObject(
                    source="s3://b/",
                    key="b",
                    etag="1",
                    status=ObjectStatus.FAILED,
                    finished_at=NOW - timedelta(minutes=5),
                    error="gzip: truncated",
                ),
                UnmatchedUsage(
                    usage_id="cluster-9",
                    dimension_id=world.storage_id,
                    hour=NOW - timedelta(hours=2),
                    sum=Decimal(1),
                    count=1,
                ),
                UnmatchedUsage(
                    usage_id="cluster-9",
                    dimension_id=world.calls_id,
                    hour=NOW - timedelta(hours=2),
                    sum=Decimal(1),
                    count=1,
                ),
                MeteringRecord(
                    customer_id=acme,
                    dimension_id=world.calls_id,
                    status="failed",
                    hour=NOW - timedelta(hours=14),
                    quantity=Decimal(5),
                    source="scheduled",
                ),
                MeteringRecord(
                    customer_id=acme,
                    dimension_id=world.storage_id,
                    status="accepted",
                    hour=NOW - timedelta(hours=1),
                    quantity=Decimal(5),
                    source="scheduled",
                ),
            ]
        )
        session.commit()
        status = collect_status(session, now=NOW)
    assert status.last_ingestion == NOW - timedelta(hours=3)  # a failed file is not a success
    assert status.lag == timedelta(hours=3)
    assert (status.quarantined_lines, status.unmatched_ids, status.unmatched_hours) == (7, 1, 2)
    assert (status.failed, status.pending, status.failed_objects) == (1, 0, 1)
    assert status.problems() == [
        "1 metering record(s) failed to send",
        "records pending for 14 h; Marketplace refuses them after 2026-11-22 22:30 UTC",
        "ingestion is 3 h behind",
        "1 usage file(s) could not be read",
        "usage from 1 unknown customer id(s) is waiting",
        "7 usage line(s) quarantined in the last day",
    ]


def test_quiet_status_has_no_problems(engine: Engine) -> None:
    seed(engine, now=NOW)
    with Session(engine) as session:
        session.add(
            IngestedObject(
                source="f",
                key="a",
                etag="1",
                status=ObjectStatus.DONE,
                finished_at=NOW - timedelta(minutes=10),
            )
        )
        session.commit()
        assert collect_status(session, now=NOW).problems() == []


def test_a_scheduled_job_failing_now_is_a_problem_until_it_recovers(engine: Engine) -> None:
    # The channel hears of a failing job once; /meter status must keep saying so.
    seed(engine, now=NOW)
    with Session(engine) as session:
        session.add(
            IngestedObject(
                source="f", key="a", etag="1", status="done", finished_at=NOW - timedelta(minutes=1)
            )
        )
        session.commit()

    def run(job: str, minute: int, error: str | None) -> None:
        tick = NOW - timedelta(minutes=30 - minute)
        run_id = claim_run(engine, job=job, tick=tick, replica="r", now=tick)
        assert run_id is not None
        finish_run(engine, run_id=run_id, ok=error is None, summary="", error=error, now=tick)

    run("salesforce_sync", 0, None)
    run("salesforce_sync", 15, "Salesforce login for ops@example.com refused (INVALID_LOGIN)")
    run("ingest", 20, "unexpected OSError: disk full")
    run("ingest", 21, None)
    claim_run(engine, job="ingest", tick=NOW, replica="r", now=NOW)  # running now
    with Session(engine) as session:
        problems = collect_status(session, now=NOW).problems()
    assert problems == [
        "scheduled job salesforce_sync is failing (since 2026-11-22 12:15 UTC): Salesforce "
        "login for ops@example.com refused (INVALID_LOGIN)"
    ]

    run("salesforce_sync", 29, None)
    with Session(engine) as session:
        assert collect_status(session, now=NOW).problems() == []


def test_pending_records_warn_of_the_month_end_cut_off_not_just_their_age(
    engine: Engine,
) -> None:
    """Two hours old, but last month's: Marketplace stops taking it at 06:00 on the 1st."""
    world = seed(engine, now=NOW)
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    with Session(engine) as session:
        session.add(
            MeteringRecord(
                customer_id=world.customers["Acme Corp"],
                dimension_id=world.calls_id,
                status="pending",
                hour=datetime(2026, 11, 30, 23, tzinfo=UTC),
                quantity=Decimal(5),
                source="scheduled",
            )
        )
        session.commit()
        status = collect_status(session, now=now)
    assert "records pending for 2 h; Marketplace refuses them after 2026-12-01 06:00 UTC" in (
        status.problems()
    )
