"""Objects committed together count exactly as they would one by one, and one object's
trouble (a claim lost, a failing write) stays its own."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from core.db import session_scope
from core.ingest.claims import Claim, claim
from core.ingest.commit import commit_objects
from core.ingest.context import load_context
from core.ingest.failures import MissingReference, is_passing
from core.ingest.objects import ObjectResult, read_object
from core.ingest.read.records import CHUNK_BYTES, DEFAULT_MAX_AGE
from core.ingest.rollup_tables import ROLLUPS
from core.ingest.rollup_writer import check_references
from core.ingest.sources.open import open_source
from core.ingest.synthetic import write_usage_files
from core.models import IngestedObject
from tests.ingest.conftest import (
    DIMENSIONS,
    NEGATIVE,
    NOW,
    START,
    USAGE_IDS,
    crash_on_quarantine,
    expected_rows,
    expected_totals,
    gauge_lines,
    heal,
    rollup_rows,
    rollup_totals,
)


def claimed_and_read(engine: Engine, usage: Path) -> list[tuple[Claim, ObjectResult]]:
    """Every object of the folder, claimed by worker w1 and read, in key order."""
    source = open_source(str(usage), s3_client=None)
    with session_scope(engine) as session:
        context = load_context(session, now=NOW, max_age=DEFAULT_MAX_AGE)
    batch = []
    for ref in sorted(source.discover(now=NOW), key=lambda r: r.key):
        with session_scope(engine) as session:
            lease = timedelta(minutes=15)
            taken = claim(session, source=source.name, ref=ref, worker="w1", now=NOW, lease=lease)
        assert taken is not None
        result = read_object(source, ref, context, chunk_bytes=CHUNK_BYTES, quarantine_cap=100)
        batch.append((taken, result))
    return batch


def write_hours(usage: Path, hours: int) -> list[Path]:
    kwargs = dict(usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, records_per_hour=300)
    return write_usage_files(usage, hours=hours, **kwargs)


def test_objects_committed_together_count_as_one_by_one(
    engine: Engine, catalog, usage: Path, caplog
) -> None:
    paths = write_hours(usage, 3)
    # The same hours twice over, as a product re-sending a day under another key.
    paths += write_usage_files(
        usage / "again", usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2, seed=9
    )
    with caplog.at_level(logging.INFO, logger="core.ingest.commit"):
        assert commit_objects(engine, claimed_and_read(engine, usage), now=NOW) == [True] * 5
    assert "one by one" not in caplog.text  # committed together
    assert rollup_rows(engine) == expected_rows(sorted(paths), catalog)
    with Session(engine) as session:
        assert {o.status for o in session.exec(select(IngestedObject))} == {"done"}


def test_a_claim_lost_in_a_batch_leaves_the_others_committed(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = write_hours(usage, 3)
    batch = claimed_and_read(engine, usage)
    with session_scope(engine) as session:  # w1 stalled: w2 takes the middle object over
        later = NOW + timedelta(minutes=16)
        source = str(usage.resolve())
        lease = timedelta(minutes=15)
        ref = batch[1][0].ref
        assert claim(session, source=source, ref=ref, worker="w2", now=later, lease=lease)
    assert commit_objects(engine, batch, now=NOW) == [True, False, True]
    assert rollup_totals(engine) == expected_totals([paths[0], paths[2]], catalog)


def test_an_object_whose_write_fails_fails_alone(engine: Engine, catalog, usage: Path) -> None:
    paths = write_hours(usage, 3)
    with paths[1].open("a") as file:
        file.write(NEGATIVE)  # only the middle object has a line to quarantine
    crash_on_quarantine(engine)
    try:
        outcomes = commit_objects(engine, claimed_and_read(engine, usage), now=NOW)
    finally:
        heal(engine)
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], Exception) and "injected crash" in str(outcomes[1])
    assert rollup_totals(engine) == expected_totals([paths[0], paths[2]], catalog)


def test_in_a_batch_the_later_object_wins_a_tie_for_last(
    engine: Engine, catalog, usage: Path, caplog
) -> None:
    (usage / "a.jsonl").write_text(gauge_lines([("01:20:00Z", "7")]))
    (usage / "b.jsonl").write_text(gauge_lines([("01:20:00Z", "9")]))
    with caplog.at_level(logging.INFO, logger="core.ingest.commit"):
        assert commit_objects(engine, claimed_and_read(engine, usage), now=NOW) == [True] * 2
    assert "one by one" not in caplog.text  # committed together
    [(total, count, _, _, last, _)] = rollup_rows(engine).values()
    assert (total, count, last) == (16, 2, 9)


def test_usage_naming_a_customer_that_is_gone_is_not_counted(
    engine: Engine, catalog, usage: Path
) -> None:
    # Rollups hold no foreign key (one check a batch instead of one a row): the check
    # must still refuse an id no customer has, and only that object's commit.
    write_hours(usage, 3)
    batch = claimed_and_read(engine, usage)
    stray = batch[1][1]
    assert stray.rollups is not None
    stray.rollups = stray.rollups.with_columns(customer_id=pl.lit(987_654, pl.Int64))
    outcomes = commit_objects(engine, batch, now=NOW)
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], MissingReference)
    assert str(outcomes[1]) == "hourlyrollup: no customer has the id 987654"
    assert is_passing(outcomes[1])  # retried, never parked: the catalog may gain the row
    assert 987_654 not in {customer for customer, _, _ in rollup_rows(engine)}
    with Session(engine) as session:
        statuses = {o.key: o.status for o in session.exec(select(IngestedObject))}
    assert sorted(statuses.values()) == ["claimed", "done", "done"]  # retried next pass


@pytest.mark.postgres
def test_a_customer_in_a_batch_cannot_be_deleted_until_it_commits(
    engine: Engine, catalog, usage: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    customer = catalog.customers[USAGE_IDS[0]]
    dimension = catalog.dimensions[DIMENSIONS[0]]
    frame = pl.DataFrame({"customer_id": [customer], "dimension_id": [dimension]})
    with session_scope(engine) as session:
        check_references(session, ROLLUPS, frame)  # as a batch's commit does first
        with engine.connect() as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                other.execute(text("DELETE FROM customer WHERE id = :c"), {"c": customer})
