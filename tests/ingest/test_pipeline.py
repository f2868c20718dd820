"""A local-folder pass: totals exactly as a Decimal reference computes them, once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.db import open_database
from core.ingest.synthetic import write_usage_files
from core.marketplace.window import MARGIN, MAX_AGE, earliest_open_hour
from core.models import LateUsage
from core.periods import HOUR
from tests.ingest.conftest import (
    DIMENSIONS,
    NOW,
    START,
    USAGE_IDS,
    expected_rows,
    expected_totals,
    gauge_lines,
    make_catalog,
    rollup_rows,
    rollup_totals,
    run_pass,
)


def test_a_pass_counts_every_record_exactly_and_a_second_pass_nothing(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = write_usage_files(
        usage,
        usage_ids=USAGE_IDS,
        dimensions=DIMENSIONS,
        start=START,
        hours=3,
        records_per_hour=400,
    )
    first = run_pass(engine, usage)
    assert (first.objects, first.records, first.rejected, first.unmatched) == (3, 1200, 0, 0)
    assert first.bytes == sum(p.stat().st_size for p in paths)
    assert rollup_totals(engine) == expected_totals(paths, catalog)

    second = run_pass(engine, usage)
    assert (second.objects, second.records) == (0, 0)
    assert rollup_totals(engine) == expected_totals(paths, catalog)


def test_a_pass_with_nothing_new_loads_no_reading_machinery(tmp_path: Path, usage: Path) -> None:
    # `meterbot ingest` from cron mostly finds nothing new: Polars and NumPy (a quarter
    # of a second to import) are loaded only when there is something to read.
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_database(url)
    make_catalog(engine, USAGE_IDS)
    write_usage_files(usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2)
    assert run_pass(engine, usage).objects == 2
    engine.dispose()
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "code = main(['ingest'])\n"
        "print(code, sorted(m for m in ('polars', 'numpy') if m in sys.modules))\n"
    )
    env = os.environ | {"METERBOT_DATABASE_URL": url, "METERBOT_USAGE_URL": str(usage)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    *said, loaded = out.stdout.strip().splitlines()
    assert loaded == "0 []"
    assert "0 objects, 0 records" in "\n".join(said)


def test_synthetic_files_are_deterministic(tmp_path: Path) -> None:
    kwargs = dict(usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2)
    a = write_usage_files(tmp_path / "a", **kwargs)
    b = write_usage_files(tmp_path / "b", **kwargs)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].relative_to(tmp_path / "a").as_posix() == "2026/11/22/00/usage-0000.jsonl"


def test_the_report_says_what_happened(engine: Engine, catalog, usage: Path) -> None:
    write_usage_files(
        usage,
        usage_ids=["acct-9999"],
        dimensions=["storage_tb"],
        start=START,
        hours=1,
        records_per_hour=5,
    )
    report = run_pass(engine, usage)
    message = report.message()
    assert message.severity == "warning"
    assert "1 objects, 5 records" in message.summary
    assert "unmatched usage id acct-9999: 5 records (kept until mapped)" in report.as_text()


def test_a_backlog_of_late_usage_names_a_few_pairs_and_counts_the_rest(
    engine: Engine, catalog, usage: Path
) -> None:
    # Two days on, the hours are older than Marketplace takes: 12 customers x 5
    # dimensions are late. The report names the first ten pairs and counts the others.
    write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2, seed=5
    )
    report = run_pass(engine, usage, now=NOW + timedelta(days=2))
    assert report.late.hours == len(USAGE_IDS) * len(DIMENSIONS) * 2
    lines = report.message().lines
    named = [line for line in lines if line.startswith("late usage, Customer acct-")]
    assert len(named) == len(report.late_lines) == 10
    assert named[0].startswith("late usage, Customer acct-0000 storage_tb")
    assert "2026-11-22 00:00Z, 01:00Z, older than Marketplace takes" in named[0]
    assert lines[lines.index(named[-1]) + 1] == "... and late usage of 50 more pairs"


def test_an_hour_that_turns_late_during_the_pass_is_said_as_it_is_noted(
    engine: Engine, catalog, usage: Path
) -> None:
    # The pass starts a microsecond before Marketplace stops taking 00:00, so its
    # commits find that hour late and note it; the report must say every hour noted.
    write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=1, seed=6
    )
    closes = START + MAX_AGE - MARGIN
    assert earliest_open_hour(closes - timedelta(microseconds=1)) == START
    assert earliest_open_hour(closes) == START + HOUR
    report = run_pass(engine, usage, now=closes - timedelta(microseconds=1))
    with Session(engine) as session:
        noted = len(session.exec(select(LateUsage)).all())
    assert noted == len(USAGE_IDS) * len(DIMENSIONS)
    assert report.late.hours == noted
    assert len(report.late_lines) == 10


def test_objects_for_the_same_hours_merge_sum_count_min_max_and_last(
    engine: Engine, catalog, usage: Path
) -> None:
    kwargs = dict(usage_ids=USAGE_IDS[:4], dimensions=DIMENSIONS[:2], start=START, hours=2)
    first = write_usage_files(usage / "a", seed=1, **kwargs)
    run_pass(engine, usage)
    second = write_usage_files(usage / "b", seed=2, **kwargs)
    third = write_usage_files(usage / "c", seed=3, **kwargs)
    report = run_pass(engine, usage)
    assert report.objects == 4
    assert rollup_rows(engine) == expected_rows([*first, *second, *third], catalog)


def test_common_and_unusual_spellings_of_one_hour_roll_up_together(
    engine: Engine, catalog, usage: Path
) -> None:
    # The first and last lines take the bulk path; the others are read one by one
    # (an offset, a space, Unix milliseconds, a quoted quantity with an exponent).
    lines = [
        '{"timestamp": "2026-11-22T01:10:00Z", "quantity": 1.5}',
        '{"timestamp": "2026-11-22T02:20:00+01:00", "quantity": 2}',
        '{"timestamp": "2026-11-22 01:30:00", "quantity": "0.25"}',
        '{"timestamp": "1795311600000", "quantity": "1e1"}',
        '{"timestamp": "2026-11-22T01:50:00.123456Z", "quantity": 0.001}',
    ]
    common = '"customer": "acct-0001", "dimension": "users", '
    text = "\n".join(line.replace("{", "{" + common, 1) for line in lines) + "\n"
    (usage / "mixed.jsonl").write_text(text)
    report = run_pass(engine, usage)
    assert (report.records, report.rejected) == (5, 0)
    [(sum_, count, low, high, last, last_at)] = rollup_rows(engine).values()
    assert (sum_, count, low, high) == (Decimal("13.751"), 5, Decimal("0.001"), Decimal(10))
    assert (last, last_at) == (Decimal("0.001"), datetime(2026, 11, 22, 1, 50, 0, 123456, UTC))


def test_records_out_of_time_order_give_the_same_rollups(
    engine: Engine, catalog, usage: Path
) -> None:
    # Shuffled lines take the general arg-max path; in-order ones the last-row one.
    paths = write_usage_files(
        usage, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2, seed=4
    )
    lines = paths[1].read_text().splitlines()
    random.Random(1).shuffle(lines)
    paths[1].write_text("\n".join(lines) + "\n")
    run_pass(engine, usage, chunk_bytes=20_000)  # several chunks per object too
    assert rollup_rows(engine) == expected_rows(paths, catalog)


@pytest.mark.parametrize("in_order", [True, False])
@pytest.mark.parametrize("chunk_bytes", [1 << 20, 250])
@pytest.mark.parametrize("with_rejected", [False, True])
def test_of_records_at_the_latest_time_the_one_read_last_is_last(
    engine: Engine, catalog, usage: Path, in_order: bool, chunk_bytes: int, with_rejected: bool
) -> None:
    # A gauge read twice at the same instant: the later line is the correction. Small
    # chunks put the two in different chunks; a rejected line in the same hour sends
    # the group down the row-by-row path.
    rows = [("01:10:00.000Z", "5"), ("01:20:00.000Z", "7"), ("01:05:00.000Z", "1")]
    rows += [("01:20:00.000Z", "9"), ("01:06:00.000Z", "2")]
    if with_rejected:
        rows.append(("01:15:00.000Z", "-3"))
    if in_order:
        rows.sort(key=lambda row: row[0])  # stable: 7 stays before 9
    (usage / "gauge.jsonl").write_text(gauge_lines(rows))
    report = run_pass(engine, usage, chunk_bytes=chunk_bytes)
    assert report.rejected == with_rejected
    [(total, count, _, _, last, last_at)] = rollup_rows(engine).values()
    assert (total, count, last) == (Decimal(24), 5, Decimal(9))
    assert last_at == datetime(2026, 11, 22, 1, 20, tzinfo=UTC)


def test_timestamps_of_different_lengths_compare_as_instants(
    engine: Engine, catalog, usage: Path
) -> None:
    # In text order ("00.5Z" sorts before "00Z") but not in time order; and one instant
    # written two ways is a tie, which the line read last wins.
    (usage / "a.jsonl").write_text(gauge_lines([("01:20:00.5Z", "1"), ("01:20:00Z", "2")]))
    (usage / "b.jsonl").write_text(gauge_lines([("02:30:00Z", "3"), ("02:30:00.000Z", "4")]))
    run_pass(engine, usage)
    lasts = {hour.hour: (last, at) for (_, _, hour), (*_, last, at) in rollup_rows(engine).items()}
    assert lasts == {
        1: (Decimal(1), datetime(2026, 11, 22, 1, 20, 0, 500_000, UTC)),
        2: (Decimal(4), datetime(2026, 11, 22, 2, 30, tzinfo=UTC)),
    }


def test_row_by_row_the_read_order_still_decides_a_tie(
    engine: Engine, catalog, usage: Path
) -> None:
    # A rejected line sends the hour row by row, where other spellings are parsed apart
    # from the common one: the record read last must still win the tie.
    rows = [("01:20:00+00:00", "7"), ("01:20:00Z", "9"), ("01:10:00Z", "-1")]
    (usage / "gauge.jsonl").write_text(gauge_lines(rows))
    assert run_pass(engine, usage).reasons == {"negative_quantity": 1}
    [(total, count, _, _, last, _)] = rollup_rows(engine).values()
    assert (total, count, last) == (Decimal(16), 2, Decimal(9))


def test_of_objects_at_the_same_latest_time_the_one_read_last_is_last(
    engine: Engine, catalog, usage: Path
) -> None:
    # Objects are read in key order, in one pass or one pass after another.
    (usage / "a.jsonl").write_text(gauge_lines([("01:20:00Z", "7")]))
    (usage / "b.jsonl").write_text(gauge_lines([("01:20:00Z", "9")]))
    run_pass(engine, usage)
    assert [row[4] for row in rollup_rows(engine).values()] == [Decimal(9)]
    (usage / "c.jsonl").write_text(gauge_lines([("01:20:00Z", "4"), ("01:10:00Z", "5")]))
    run_pass(engine, usage, now=NOW + timedelta(minutes=1))
    [(total, count, _, _, last, _)] = rollup_rows(engine).values()
    assert (total, count, last) == (Decimal(25), 4, Decimal(4))
