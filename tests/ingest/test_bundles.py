"""Small objects read as one bundle give each object exactly what reading it alone gives:
the same aggregates, counts, quarantined lines and unknown usage ids, and one object's
trouble stays its own."""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from core.db import session_scope
from core.ingest.bundle import read_bundle
from core.ingest.context import load_context
from core.ingest.objects import ObjectResult, read_object
from core.ingest.read.records import CHUNK_BYTES, DEFAULT_MAX_AGE
from core.ingest.sources.open import open_source
from tests.ingest.conftest import NOW, expected_rows, rollup_rows, run_pass


def _line(at: str, customer: str, quantity: str, dimension: str = "users") -> str:
    return (
        f'{{"timestamp": "2026-11-22T{at}Z", "customer": "{customer}", '
        f'"dimension": "{dimension}", "quantity": {quantity}}}\n'
    )


def _objects(usage: Path) -> None:
    """Twelve small objects: clean ones, and one of each kind of trouble."""
    write = lambda name, text: (usage / name).write_text(text)  # noqa: E731
    write(
        "a-clean.jsonl", _line("01:00:00", "acct-0001", "1.5") + _line("01:30:00", "acct-0001", "2")
    )
    write(
        "b-same-hour.jsonl",
        _line("01:10:00", "acct-0001", "7") + _line("01:10:00", "acct-0001", "8"),
    )
    write(
        "c-out-of-order.jsonl",
        _line("02:50:00", "acct-0002", "3") + _line("02:05:00", "acct-0002", "9"),
    )
    write("d-malformed.jsonl", _line("03:00:00", "acct-0003", "1") + "{not json\n")
    write(
        "e-negative.jsonl",
        _line("03:00:00", "acct-0003", "-4") + _line("03:01:00", "acct-0003", "4"),
    )
    write(
        "f-unknown-id.jsonl",
        _line("04:00:00", "acct-9999", "5") + _line("04:00:00", "acct-0004", "5"),
    )
    write("g-no-last-newline.jsonl", _line("04:20:00", "acct-0005", "6").rstrip("\n"))
    write("h-empty.jsonl", "")
    write("i-blank-lines.jsonl", "\n" + _line("05:00:00", "acct-0006", "2") + "\n\n")
    write("j-long-number.jsonl", _line("05:10:00", "acct-0007", "1234567.123456789012"))
    write("k-unknown-dim.jsonl", _line("05:20:00", "acct-0008", "1", dimension="bogus"))
    gzipped = gzip.compress(_line("00:15:00", "acct-0009", "3").encode())
    (usage / "l-gzipped.jsonl.gz").write_bytes(gzipped)


def _frame(frame: pl.DataFrame | None) -> list[tuple[object, ...]]:
    return sorted(frame.rows()) if frame is not None else []


def _same(bundled: ObjectResult, alone: ObjectResult) -> None:
    assert bundled.records == alone.records
    assert bundled.reasons == alone.reasons
    assert bundled.quarantine == alone.quarantine
    assert bundled.unmatched_records == alone.unmatched_records
    assert bundled.unmatched_ids == alone.unmatched_ids
    assert _frame(bundled.rollups) == _frame(alone.rollups)
    assert _frame(bundled.unmatched) == _frame(alone.unmatched)
    assert _frame(bundled.by_usage_id) == _frame(alone.by_usage_id)


def test_each_object_of_a_bundle_gets_what_reading_it_alone_gives(
    engine: Engine, catalog, usage: Path
) -> None:
    _objects(usage)
    source = open_source(str(usage), s3_client=None)
    with session_scope(engine) as session:
        context = load_context(session, now=NOW, max_age=DEFAULT_MAX_AGE)
    refs = sorted(source.discover(now=NOW), key=lambda ref: ref.key)
    with ThreadPoolExecutor(4) as fetcher:
        bundled = read_bundle(
            source,
            refs,
            context,
            chunk_bytes=CHUNK_BYTES,
            quarantine_cap=100,
            fetcher=fetcher,
        )
    assert len(bundled) == len(refs) == 12
    for ref, result in zip(refs, bundled, strict=True):
        assert isinstance(result, ObjectResult), ref.key
        alone = read_object(source, ref, context, chunk_bytes=CHUNK_BYTES, quarantine_cap=100)
        _same(result, alone)
    by_key = dict(zip((ref.key for ref in refs), bundled, strict=True))
    # The troubles are named per object, as they would be alone.
    assert by_key["d-malformed.jsonl"].reasons == {"malformed": 1}
    assert by_key["e-negative.jsonl"].reasons == {"negative_quantity": 1}
    assert by_key["k-unknown-dim.jsonl"].reasons == {"unknown_dimension": 1}
    assert by_key["f-unknown-id.jsonl"].unmatched_ids == {"acct-9999": 1}
    assert by_key["b-same-hour.jsonl"].rollups is not None
    assert by_key["b-same-hour.jsonl"].rollups["last"].to_list() == [8]  # the later line wins
    exact = by_key["j-long-number.jsonl"].rollups
    assert exact is not None and str(exact["sum"][0]) == "1234567.123456789012"


def test_a_pass_over_many_small_objects_counts_each_exactly(
    engine: Engine, catalog, usage: Path
) -> None:
    paths = []
    for n in range(300):  # one customer-hour each, several bundles, gauges and ties
        customer = f"acct-{n % 12:04d}"
        lines = "".join(
            _line(f"0{n % 6}:{m:02d}:00", customer, f"{n}.{m}") for m in range(4)
        ) + _line(f"0{n % 6}:03:00", customer, f"{n}")
        path = usage / f"2026/11/22/0{n % 6}/{customer}-{n:03d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lines)
        paths.append(path)
    report = run_pass(engine, usage)
    assert report.objects == 300 and report.records == 1500 and report.failed == []
    assert rollup_rows(engine) == expected_rows(sorted(paths), catalog)


def test_an_object_gone_before_its_read_fails_alone(
    engine: Engine, catalog, usage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _objects(usage)
    source = open_source(str(usage), s3_client=None)
    refs = sorted(source.discover(now=NOW), key=lambda ref: ref.key)
    (usage / "a-clean.jsonl").unlink()  # listed, then deleted before the read
    with session_scope(engine) as session:
        context = load_context(session, now=NOW, max_age=DEFAULT_MAX_AGE)
    with ThreadPoolExecutor(4) as fetcher:
        bundled = read_bundle(
            source, refs, context, chunk_bytes=CHUNK_BYTES, quarantine_cap=100, fetcher=fetcher
        )
    assert isinstance(bundled[0], FileNotFoundError)
    assert all(isinstance(result, ObjectResult) for result in bundled[1:])
    assert bundled[1].records == 2  # b-same-hour, read as ever
