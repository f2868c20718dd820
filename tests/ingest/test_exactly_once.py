"""Exactly once: a crash before the commit counts nothing; a dead worker's object is
taken over after its lease; a re-uploaded object is reported, not counted twice."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.db import session_scope
from core.ingest.claims import claim, mark_done, mark_failed
from core.ingest.sources.open import open_source
from core.ingest.synthetic import write_usage_files
from core.models import IngestedObject, QuarantinedLine
from tests.ingest.conftest import (
    DIMENSIONS,
    NEGATIVE,
    NOW,
    START,
    USAGE_IDS,
    crash_on_quarantine,
    expected_totals,
    heal,
    rollup_totals,
    run_pass,
)


def test_a_crash_between_parse_and_commit_counts_nothing_and_is_retried(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2
    )
    with paths[0].open("a") as file:
        file.write(NEGATIVE)  # only the first object has a line to quarantine
    crash_on_quarantine(engine)
    failed = run_pass(engine, usage)
    assert failed.objects == 1 and [key for key, _ in failed.failed] == [
        "2026/11/22/00/usage-0000.jsonl"
    ]
    assert "injected crash" in failed.failed[0][1]
    assert rollup_totals(engine) == expected_totals(paths[1:], catalog)  # hour 00: nothing
    heal(engine)
    retried = run_pass(engine, usage, now=NOW + timedelta(minutes=1))
    assert (retried.objects, retried.rejected) == (1, 1)
    assert rollup_totals(engine) == expected_totals(paths, catalog)


def test_a_commit_that_went_through_stays_done_if_reported_as_failed(
    engine: Engine, catalog, usage: Path
) -> None:
    # The connection drops after COMMIT: the worker sees an error and marks the
    # object failed. It must stay done, or the next pass would count it again.
    write_usage_files(usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=1)
    [ref] = open_source(str(usage), s3_client=None).discover(now=NOW)
    source, lease = str(usage.resolve()), timedelta(minutes=15)
    with session_scope(engine) as session:
        taken = claim(session, source=source, ref=ref, worker="w1", now=NOW, lease=lease)
    assert taken is not None
    with session_scope(engine) as session:
        assert mark_done(session, taken, now=NOW, counts={"records": 1000})
    with session_scope(engine) as session:
        mark_failed(
            session, taken, now=NOW, error="OperationalError: connection lost", passing=True
        )
    with Session(engine) as session:
        assert session.exec(select(IngestedObject)).one().status == "done"
    assert run_pass(engine, usage, now=NOW + timedelta(minutes=1)).objects == 0


def test_an_object_held_by_a_dead_worker_is_taken_over_after_its_lease(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=1
    )
    [ref] = open_source(str(usage), s3_client=None).discover(now=NOW)
    with Session(engine) as session:  # a worker claims the object, then dies
        claim(
            session,
            source=str(usage.resolve()),
            ref=ref,
            worker="dead",
            now=NOW,
            lease=timedelta(minutes=15),
        )
        session.commit()
    early = run_pass(engine, usage, now=NOW + timedelta(minutes=5))
    assert (early.objects, early.in_progress) == (0, 1)
    late = run_pass(engine, usage, now=NOW + timedelta(minutes=16))
    assert late.objects == 1
    assert rollup_totals(engine) == expected_totals(paths, catalog)


def test_objects_held_by_a_live_worker_do_not_hold_up_the_rest(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=6
    )
    refs = list(open_source(str(usage), s3_client=None).discover(now=NOW))
    with Session(engine) as session:  # another worker is busy with the first four
        for ref in refs[:4]:
            lease = timedelta(minutes=15)
            source = str(usage.resolve())
            claim(session, source=source, ref=ref, worker="other", now=NOW, lease=lease)
        session.commit()
    report = run_pass(engine, usage)
    assert (report.objects, report.in_progress) == (2, 4)
    held = {usage / ref.key for ref in refs[:4]}
    assert rollup_totals(engine) == expected_totals([p for p in paths if p not in held], catalog)


def test_a_reuploaded_object_is_reported_and_not_counted_again(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=1
    )
    run_pass(engine, usage)
    counted = rollup_totals(engine)
    paths[0].write_bytes(paths[0].read_bytes() * 2)  # the product uploads it again, grown
    os.utime(paths[0], ns=(1, 1))
    report = run_pass(engine, usage, now=NOW + timedelta(minutes=5))
    assert report.reuploaded == ["2026/11/22/00/usage-0000.jsonl"] and report.records == 0
    assert "re-uploaded, not counted again: 2026/11/22/00/usage-0000.jsonl" in report.as_text()
    assert rollup_totals(engine) == counted
    with Session(engine) as session:
        statuses = sorted(o.status for o in session.exec(select(IngestedObject)))
        [note] = session.exec(select(QuarantinedLine)).all()
    assert statuses == ["done", "reuploaded"] and note.reason == "reuploaded"
    assert run_pass(engine, usage, now=NOW + timedelta(minutes=9)).reuploaded == []


def test_a_damaged_object_fails_whole_and_is_reported(engine: Engine, catalog, usage: Path) -> None:
    paths = write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2, gzip=True
    )
    whole = paths[1].read_bytes()
    paths[1].write_bytes(whole[: len(whole) // 2])  # cut off mid-stream
    report = run_pass(engine, usage, chunk_bytes=4096)
    assert report.objects == 1 and [key for key, _ in report.failed] == [
        "2026/11/22/01/usage-0000.jsonl.gz"
    ]
    assert "failed 2026/11/22/01/usage-0000.jsonl.gz: EOFError" in report.as_text()
    totals = rollup_totals(engine)  # the intact hour only
    assert {hour.hour for _, _, hour in totals} == {0}
    assert sum(count for _, count in totals.values()) == 1000
