"""`meterbot problems`: every quarantined line, unknown usage id, unreadable object and
unsent record, as a table or CSV; the ingest summary names the objects with rejects."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session

from bot.cli import main
from core.db import alembic_config
from core.models import LedgerStatus, MeteringRecord
from tests.ingest.conftest import make_catalog

GOOD = '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 3}'  # noqa: E501
STRANGER = '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-9999", "dimension": "users", "quantity": 2}'  # noqa: E501
NEGATIVE = '{"timestamp": "2026-11-22T02:00:00Z", "customer": "acct-0001", "dimension": "users", "quantity": -1}'  # noqa: E501


@pytest.fixture
def ingested(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """One pass over a file with two bad lines and a stranger, and one unreadable file;
    then a ledger row Marketplace refused. The ingest summary is returned."""
    command.stamp(alembic_config(engine), "head")
    catalog = make_catalog(engine, ["acct-0001"])
    folder = tmp_path / "usage"
    folder.mkdir()
    lines = [GOOD, "{not json", STRANGER, NEGATIVE]
    (folder / "2026-11-22.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "clean.jsonl").write_text(GOOD + "\n")
    (folder / "broken.parquet").write_bytes(b"not a parquet file")
    monkeypatch.setenv("METERBOT_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", "--source", str(folder), "--max-age-days", "3650", "--quiet"]) == 3
    summary = capsys.readouterr().out
    with Session(engine) as session:
        session.add(
            MeteringRecord(
                customer_id=catalog.customers["acct-0001"],
                dimension_id=catalog.dimensions["users"],
                hour=datetime(2026, 11, 22, 1, tzinfo=UTC),
                quantity=Decimal("3"),
                status=LedgerStatus.FAILED,
                source="scheduled",
                last_error="InvalidUsageDimensionException: users",
            )
        )
        session.commit()
    return summary


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_the_ingest_summary_names_the_objects_with_rejects(ingested: str) -> None:
    hint = "meterbot problems --object 2026-11-22.jsonl"
    assert f"rejects in 2026-11-22.jsonl: 2 lines ({hint})" in ingested
    assert "rejects in clean.jsonl" not in ingested


def test_problems_lists_each_line_id_object_and_record(
    ingested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run(capsys, "problems")
    assert "  2026-11-22.jsonl:2  malformed  {not json\n" in out
    assert f"  2026-11-22.jsonl:4  negative_quantity  {NEGATIVE}\n" in out
    assert "  acct-9999: 1 records over 1 hours\n" in out
    assert "  broken.parquet  failed  1 attempts: ComputeError" in out
    record = "#1 Customer acct-0001 users 2026-11-22 01:00Z: failed"
    assert f"  {record} (quantity 3; InvalidUsageDimensionException: users)\n" in out
    assert "clean.jsonl" not in out


def test_problems_of_one_object(ingested: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "problems", "--object", "2026-11-22.jsonl")
    assert out.count("2026-11-22.jsonl:") == 2
    assert "acct-9999" not in out and "broken.parquet" not in out
    assert _run(capsys, "problems", "--object", "clean.jsonl").startswith(
        "No problems for clean.jsonl"
    )


def test_problems_as_csv_keep_the_raw_text_whole(
    ingested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = list(csv.DictReader(io.StringIO(_run(capsys, "problems", "--csv"))))
    negative = next(r for r in rows if r["reason"] == "negative_quantity")
    assert negative == {
        "kind": "quarantined",
        "object": "2026-11-22.jsonl",
        "line": "4",
        "reason": "negative_quantity",
        "text": NEGATIVE,
        "count": "1",
    }
    assert {r["kind"] for r in rows} == {"quarantined", "object", "unmatched", "record"}
