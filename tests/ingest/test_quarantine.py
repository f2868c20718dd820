"""Every line that cannot be used is kept with its reason, counted and reported."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.models import IngestedObject, QuarantinedLine
from tests.ingest.conftest import rollup_totals, run_pass

GOOD = '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 2}'  # noqa: E501
LINES = {
    "malformed": '{"timestamp": "2026-11-22T01:00:00Z", "customer": ',
    "missing_field": '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-0001", "dimension": "users"}',  # noqa: E501
    "negative_quantity": GOOD.replace('"quantity": 2', '"quantity": -2'),
    "non_numeric_quantity": GOOD.replace('"quantity": 2', '"quantity": "lots"'),
    "unknown_dimension": GOOD.replace('"users"', '"teleports"'),
    "bad_timestamp": GOOD.replace("2026-11-22T01:00:00Z", "yesterday at noon"),
    "future_timestamp": GOOD.replace("2026-11-22T01:00:00Z", "2026-11-22T07:30:00Z"),
    "too_old": GOOD.replace("2026-11-22T01:00:00Z", "2026-08-01T00:00:00Z"),
}


def test_every_reason_is_kept_counted_and_reported(engine: Engine, catalog, usage: Path) -> None:
    lines = [GOOD, *LINES.values(), "", "[1, 2]", GOOD]
    (usage / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    report = run_pass(engine, usage)
    assert report.records == 2
    assert report.rejected == len(LINES) + 1
    assert report.reasons == {**dict.fromkeys(LINES, 1), "malformed": 2}
    for reason in LINES:
        assert f"quarantined, {reason}: " in report.as_text()
    with Session(engine) as session:
        kept = {(q.line_no, q.reason): q.raw for q in session.exec(select(QuarantinedLine))}
        stored = session.exec(select(IngestedObject)).one()
    for number, (reason, text) in enumerate(LINES.items(), start=2):
        assert kept[(number, reason)] == text
    assert kept[(11, "malformed")] == "[1, 2]"
    assert stored.reasons == report.reasons and stored.rejected == report.rejected
    [(_total, count)] = rollup_totals(engine).values()
    assert count == 2


def test_quarantined_text_is_cut_and_the_count_is_complete(
    engine: Engine, catalog, usage: Path
) -> None:
    long_line = GOOD.replace('"users"', '"' + "x" * 5000 + '"')
    (usage / "u.jsonl").write_text("\n".join([long_line] * 30) + "\n")
    report = run_pass(engine, usage, quarantine_cap=10)
    assert report.reasons == {"unknown_dimension": 30}
    with Session(engine) as session:
        kept = session.exec(select(QuarantinedLine)).all()
    assert len(kept) == 10 and all(len(q.raw) == 1000 for q in kept)


def test_a_bad_csv_row_is_quarantined_and_the_rest_counted(
    engine: Engine, catalog, usage: Path
) -> None:
    (usage / "u.csv").write_text(
        "timestamp,customer,dimension,quantity\n"
        "2026-11-22T01:00:00Z,acct-0001,users,1\n"
        "2026-11-22T01:00:00Z,acct-0001,users,1,surplus,fields\n"
        "2026-11-22T01:00:00Z,acct-0001,users,\n"
        "2026-11-22T01:00:00Z,acct-0001,users,3\n"
    )
    report = run_pass(engine, usage)
    assert report.records == 2
    assert report.reasons == {"malformed": 1, "missing_field": 1}
