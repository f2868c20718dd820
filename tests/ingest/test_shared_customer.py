"""A customer whose usage arrives under several ids (one per cluster) gets one rollup."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, select

from core.models import CustomerAlias, HourlyRollup, UsageIdRollup
from tests.ingest.conftest import make_catalog, run_pass


def test_usage_under_two_ids_of_one_customer_rolls_up_together(engine, usage):
    catalog = make_catalog(engine, ["cl-prod"])
    customer_id = catalog.customers["cl-prod"]
    with Session(engine) as session:
        session.add(CustomerAlias(customer_id=customer_id, usage_id="cl-dr"))
        session.commit()
    lines = [
        {"timestamp": "2026-11-22T03:10:00Z", "customer": "cl-prod", "quantity": "1.5"},
        {"timestamp": "2026-11-22T03:20:00Z", "customer": "cl-dr", "quantity": "4"},
        {"timestamp": "2026-11-22T03:30:00Z", "customer": "cl-prod", "quantity": "2"},
    ]
    text = "".join(json.dumps({**line, "dimension": "cpu_hours"}) + "\n" for line in lines)
    (usage / "mixed.jsonl").write_text(text)

    report = run_pass(engine, usage)

    assert report.failed == [] and report.records == 3
    with Session(engine) as session:
        row = session.exec(select(HourlyRollup)).one()
    assert row.customer_id == customer_id
    assert row.hour == datetime(2026, 11, 22, 3, tzinfo=UTC)
    assert (row.sum, row.count) == (Decimal("7.5"), 3)
    assert (row.min, row.max, row.last) == (Decimal("1.5"), Decimal(4), Decimal(2))

    with Session(engine) as session:  # and per usage id, for gauges to combine per cluster
        per_id = {r.usage_id: (r.sum, r.count, r.last) for r in session.exec(select(UsageIdRollup))}
    assert per_id == {
        "cl-prod": (Decimal("3.5"), 2, Decimal(2)),
        "cl-dr": (Decimal(4), 1, Decimal(4)),
    }


def test_usage_ids_split_across_objects_merge_per_id(engine, usage):
    catalog = make_catalog(engine, ["cl-prod"])
    with Session(engine) as session:
        session.add(CustomerAlias(customer_id=catalog.customers["cl-prod"], usage_id="cl-dr"))
        session.commit()
    for name, cluster, quantity in [("a", "cl-prod", 2), ("b", "cl-dr", 5), ("c", "cl-prod", 4)]:
        line = {"timestamp": "2026-11-22T03:10:00Z", "customer": cluster, "dimension": "users"}
        (usage / f"{name}.jsonl").write_text(json.dumps({**line, "quantity": quantity}) + "\n")
        run_pass(engine, usage)
    with Session(engine) as session:
        per_id = {r.usage_id: (r.sum, r.count) for r in session.exec(select(UsageIdRollup))}
    assert per_id == {"cl-prod": (Decimal(6), 2), "cl-dr": (Decimal(5), 1)}
