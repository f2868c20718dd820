"""Every line that cannot be used is kept with its reason, counted and reported."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.ingest.read.validate import validate
from core.models import IngestedObject, QuarantinedLine
from tests.ingest.conftest import NOW, rollup_totals, run_pass

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


def test_a_record_missing_a_field_usage_is_grouped_by_is_quarantined(
    engine: Engine, catalog, usage: Path
) -> None:
    # Usage is grouped before it is checked: a group with a null key must not vanish.
    good = json.loads(GOOD)
    damaged = [
        json.dumps({key: value for key, value in good.items() if key != name})
        for name in ("timestamp", "customer", "dimension")
    ]
    (usage / "keys.jsonl").write_text("\n".join([GOOD, *damaged, GOOD]) + "\n")
    report = run_pass(engine, usage)
    assert (report.records, report.reasons) == (2, {"missing_field": 3})
    with Session(engine) as session:
        kept = sorted((q.line_no, q.reason) for q in session.exec(select(QuarantinedLine)))
    assert kept == [(2, "missing_field"), (3, "missing_field"), (4, "missing_field")]


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


def test_the_accepted_time_range_is_exact_at_its_edges() -> None:
    frame = pl.DataFrame(
        {
            "timestamp": [
                "2026-11-22T07:00:00Z",  # now + 1 h: accepted
                "2026-11-22T07:00:00.000001Z",  # just after: future
                "2026-09-21T06:00:00Z",  # now - 62 days: accepted
                "2026-09-21T05:59:59.999Z",  # just before: too old
                "2026-11-22T03:00:00+02:00",  # an offset: 01:00 UTC
                "2026-11-22 02:30:00",  # naive: UTC
                "2026-02-30T01:00:00Z",  # no such day
            ],
            "customer": ["c"] * 7,
            "dimension": ["users"] * 7,
            "quantity": ["1"] * 7,
            "line": list(range(1, 8)),
        }
    )
    checked = validate(frame, dimensions={"users": 1}, now=NOW)
    assert dict(checked.rejected.iter_rows()) == {
        2: "future_timestamp",
        4: "too_old",
        7: "bad_timestamp",
    }
    assert sorted(checked.valid["hour_text"]) == [
        "2026-09-21T06",
        "2026-11-22T01",
        "2026-11-22T02",
        "2026-11-22T07",
    ]


def test_a_csv_header_without_the_mapped_fields_quarantines_its_lines(
    engine: Engine, catalog, usage: Path
) -> None:
    # A header that names none of the fields (or only some) is a problem of every line,
    # not an object that fails and is retried pass after pass.
    (usage / "none.csv").write_text(
        "ts,cluster,metric,value\n2026-11-22T01:00:00Z,acct-0001,users,1\n"
        "2026-11-22T01:30:00Z,acct-0001,users,2\n2026-11-22T01:45:00Z,acct-0001,users,3\n"
    )
    (usage / "some.csv").write_text(
        "timestamp,customer,value\n2026-11-22T01:00:00Z,acct-0001,1\n"
        "2026-11-22T01:30:00Z,acct-0001,2\n"
    )
    report = run_pass(engine, usage)
    assert report.failed == []
    assert (report.objects, report.records, report.reasons) == (2, 0, {"missing_field": 5})
    with Session(engine) as session:
        kept = {(q.line_no, q.reason) for q in session.exec(select(QuarantinedLine))}
    assert {(2, "missing_field"), (3, "missing_field"), (4, "missing_field")} <= kept


def test_a_parquet_file_without_the_mapped_fields_quarantines_its_rows(
    engine: Engine, catalog, usage: Path
) -> None:
    pl.DataFrame({"cluster": ["acct-0001"] * 3, "value": [1, 2, 3]}).write_parquet(
        usage / "none.parquet"
    )
    pl.DataFrame(
        {"timestamp": ["2026-11-22T01:00:00Z"] * 2, "customer": ["acct-0001"] * 2}
    ).write_parquet(usage / "some.parquet")
    report = run_pass(engine, usage)
    assert report.failed == []
    assert (report.objects, report.records, report.reasons) == (2, 0, {"missing_field": 5})
