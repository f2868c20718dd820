"""Every format, with and without gzip, and a seller's own field names."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.ingest.synthetic import write_usage_files
from core.models import FieldMapping
from tests.ingest.conftest import (
    DIMENSIONS,
    START,
    USAGE_IDS,
    expected_totals,
    rollup_totals,
    run_pass,
)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_each_format_gives_the_same_exact_totals(
    engine: Engine, catalog, usage: Path, tmp_path: Path, fmt: str, compressed: bool
) -> None:
    kwargs = dict(
        usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2, records_per_hour=300
    )
    reference = write_usage_files(tmp_path / "reference", **kwargs)
    write_usage_files(usage, fmt=fmt, gzip=compressed, **kwargs)
    report = run_pass(engine, usage)
    assert (report.objects, report.records, report.rejected) == (2, 600, 0)
    assert rollup_totals(engine) == expected_totals(reference, catalog)


def test_small_chunks_give_the_same_totals(engine: Engine, catalog, usage: Path) -> None:
    paths = write_usage_files(
        usage,
        usage_ids=USAGE_IDS,
        dimensions=DIMENSIONS,
        start=START,
        hours=1,
        records_per_hour=500,
    )
    run_pass(engine, usage, chunk_bytes=4096)
    assert rollup_totals(engine) == expected_totals(paths, catalog)


def test_a_field_mapping_reads_records_with_other_names(
    engine: Engine, catalog, usage: Path
) -> None:
    with Session(engine) as session:
        session.add(
            FieldMapping(
                fields={
                    "timestamp": "ts",
                    "customer": "cluster_id",
                    "dimension": "metric",
                    "quantity": "value",
                }
            )
        )
        session.commit()
    (usage / "u.csv.gz").write_bytes(
        gzip.compress(
            b"ts,cluster_id,metric,value,zone\n"
            b"2026-11-22T01:00:00Z,acct-0001,storage_tb,1.10,a\n"
            b"2026-11-22T01:30:00Z,acct-0001,storage_tb,2.25,b\n"
        )
    )
    report = run_pass(engine, usage)
    assert (report.records, report.rejected) == (2, 0)
    [(total, count)] = rollup_totals(engine).values()
    assert (total, count) == (Decimal("3.35"), 2)


def test_quantities_never_pass_through_a_float(engine: Engine, catalog, usage: Path) -> None:
    (usage / "u.jsonl").write_text(
        '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 0.1}\n'  # noqa: E501
        '{"timestamp": "2026-11-22T01:00:01Z", "customer": "acct-0001", "dimension": "users", "quantity": 0.2}\n'  # noqa: E501
        '{"timestamp": "2026-11-22T01:00:02Z", "customer": "acct-0001", "dimension": "users", "quantity": 12345678901234.123456789}\n'  # noqa: E501
        '{"timestamp": "2026-11-22T01:00:03Z", "customer": "acct-0001", "dimension": "users", "quantity": "1e3"}\n'  # noqa: E501
    )
    run_pass(engine, usage)
    [(total, count)] = rollup_totals(engine).values()
    assert total == Decimal("12345678902234.423456789") and count == 4


def test_parquet_float_and_datetime_columns(engine: Engine, catalog, usage: Path) -> None:
    frame = pl.DataFrame(
        {
            "timestamp": [START.replace(hour=2), START.replace(hour=2, minute=5)],
            "customer": ["acct-0002", "acct-0002"],
            "dimension": ["cpu_hours", "cpu_hours"],
            "quantity": [0.1, 0.7],
        }
    )
    frame.write_parquet(usage / "u.parquet")
    run_pass(engine, usage)
    [(total, count)] = rollup_totals(engine).values()
    assert (total, count) == (Decimal("0.8"), 2)
