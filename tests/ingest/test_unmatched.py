"""Usage under an unknown id is kept, then counted for its customer once mapped, once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.ingest.synthetic import write_usage_files
from core.ingest.unmatched import resolve_unmatched
from core.models import UnmatchedUsage
from tests.ingest.conftest import (
    DIMENSIONS,
    NOW,
    START,
    add_customer,
    expected_totals,
    make_catalog,
    rollup_totals,
    run_pass,
)


def test_unmatched_usage_moves_to_the_customer_once(engine: Engine, usage: Path) -> None:
    catalog = make_catalog(engine, ["acct-0001"])
    paths = write_usage_files(
        usage, usage_ids=["acct-0001", "acct-0777"], dimensions=DIMENSIONS, start=START, hours=2
    )
    report = run_pass(engine, usage)
    assert report.unmatched > 0 and report.unmatched_ids.keys() == {"acct-0777"}
    with Session(engine) as session:
        catalog.customers["acct-0777"] = add_customer(session, "acct-0777")
        session.commit()
    with Session(engine) as session:
        moved = resolve_unmatched(session, now=NOW)
        session.commit()
        assert moved == report.unmatched
        assert resolve_unmatched(session, now=NOW) == 0
    assert rollup_totals(engine) == expected_totals(paths, catalog)
    # The next pass resolves nothing more and counts nothing twice.
    again = run_pass(engine, usage, now=NOW + timedelta(minutes=5))
    assert (again.resolved, again.records) == (0, 0)
    assert rollup_totals(engine) == expected_totals(paths, catalog)


def test_a_pass_resolves_first_then_merges_later_usage(engine: Engine, usage: Path) -> None:
    make_catalog(engine, [])
    line = '{"timestamp": "2026-11-22T01:%02d:00Z", "customer": "c-9", "dimension": "users", "quantity": 1.5}\n'  # noqa: E501
    (usage / "a.jsonl").write_text(line % 1)
    run_pass(engine, usage)
    with Session(engine) as session:
        customer_id = add_customer(session, "c-9")
        session.commit()
    (usage / "b.jsonl").write_text(line % 2)
    report = run_pass(engine, usage)
    assert report.resolved == 1 and report.unmatched == 0
    [(key, (total, count))] = rollup_totals(engine).items()
    assert key[0] == customer_id and (total, count) == (Decimal("3.0"), 2)
    with Session(engine) as session:
        [row] = session.exec(select(UnmatchedUsage)).all()
        assert row.resolved_customer_id == customer_id
