"""Ingestion fixtures: a catalog with customers (tests/worlds/ingest.yml), usage folders,
and reference totals."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from core.ingest.pipeline import ingest_pass
from core.ingest.report import IngestReport
from core.ingest.sources.open import open_source
from core.models import Customer, CustomerAlias, Dimension, HourlyRollup
from tests.worlds.plans import apply_world

# The dimensions of tests/worlds/ingest.yml.
DIMENSIONS = ["storage_tb", "api_calls", "cpu_hours", "users", "egress_gb"]
USAGE_IDS = [f"acct-{i:04d}" for i in range(12)]
START = datetime(2026, 11, 22, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 6, tzinfo=UTC)


@dataclass
class Catalog:
    dimensions: dict[str, int]
    customers: dict[str, int]  # usage id -> customer id


def make_catalog(engine: Engine, usage_ids: list[str]) -> Catalog:
    """tests/worlds/ingest.yml applied: a customer `Customer <usage id>` per usage id."""
    entries = [{"name": f"Customer {u}", "usage_ids": [u]} for u in usage_ids]
    apply_world(engine, "ingest.yml", now=NOW, customers=entries)
    with Session(engine) as session:
        dimensions = {d.key: d.id or 0 for d in session.exec(select(Dimension))}
        aliases = session.exec(select(CustomerAlias)).all()
        return Catalog(dimensions, {a.usage_id: a.customer_id for a in aliases})


def add_customer(session: Session, usage_id: str) -> int:
    """A customer mapped by hand, not through a plans file: applying one would move the
    usage waiting under the id itself, which the tests leave to the pass they test."""
    customer = Customer(name=f"Customer {usage_id}")
    session.add(customer)
    session.flush()
    session.add(CustomerAlias(customer_id=customer.id, usage_id=usage_id))
    return customer.id


# A line every pass quarantines (negative_quantity), for objects that must store one.
NEGATIVE = '{"timestamp": "2026-11-22T01:00:00Z", "customer": "acct-0001", "dimension": "users", "quantity": -1}\n'  # noqa: E501


def gauge_lines(rows: list[tuple[str, str]], customer: str = "acct-0001") -> str:
    """JSON Lines of one customer's `users` gauge: (time of day, quantity) per line."""
    return "".join(
        f'{{"timestamp": "2026-11-22T{at}", "customer": "{customer}", '
        f'"dimension": "users", "quantity": {quantity}}}\n'
        for at, quantity in rows
    )


@pytest.fixture
def usage(tmp_path: Path) -> Path:
    """The usage folder (apart from the test's SQLite file)."""
    folder = tmp_path / "usage"
    folder.mkdir()
    return folder


@pytest.fixture
def catalog(engine: Engine) -> Catalog:
    return make_catalog(engine, USAGE_IDS)


def run_pass(
    engine: Engine, folder: Path, *, now: datetime = NOW, worker: str = "w1", **kw
) -> IngestReport:
    source = open_source(str(folder), s3_client=None)
    return ingest_pass(engine, source=source, now=now, worker=worker, **kw)


def rollup_totals(engine: Engine) -> dict[tuple[int, int, datetime], tuple[Decimal, int]]:
    with Session(engine) as session:
        rows = session.exec(select(HourlyRollup)).all()
        return {(r.customer_id, r.dimension_id, r.hour): (r.sum, r.count) for r in rows}


def expected_totals(
    paths: list[Path], catalog: Catalog
) -> dict[tuple[int, int, datetime], tuple[Decimal, int]]:
    """The reference: a plain json.loads loop with Decimal over the files written."""
    sums: dict[tuple[int, int, datetime], list] = defaultdict(lambda: [Decimal(0), 0])
    for path in paths:
        for line in path.read_text().splitlines():
            record = json.loads(line, parse_float=Decimal)
            moment = datetime.fromisoformat(record["timestamp"])
            hour = moment.replace(minute=0, second=0, microsecond=0)
            if record["customer"] not in catalog.customers or Decimal(record["quantity"]) < 0:
                continue
            key = (
                catalog.customers[record["customer"]],
                catalog.dimensions[record["dimension"]],
                hour,
            )
            sums[key][0] += Decimal(record["quantity"])
            sums[key][1] += 1
    return {key: (total, count) for key, (total, count) in sums.items()}


def rollup_rows(engine: Engine) -> dict[tuple[int, int, datetime], tuple]:
    """Every stored aggregate: (sum, count, min, max, last, last_at)."""
    with Session(engine) as session:
        rows = session.exec(select(HourlyRollup)).all()
        return {
            (r.customer_id, r.dimension_id, r.hour): (
                r.sum,
                r.count,
                r.min,
                r.max,
                r.last,
                r.last_at,
            )
            for r in rows
        }


def expected_rows(paths: list[Path], catalog: Catalog) -> dict[tuple[int, int, datetime], tuple]:
    """Reference aggregates in plain Python; `last` is the last record read at the latest time."""
    rows: dict[tuple[int, int, datetime], tuple] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            record = json.loads(line, parse_float=Decimal)
            quantity, moment = (
                Decimal(record["quantity"]),
                datetime.fromisoformat(record["timestamp"]),
            )
            hour = moment.replace(minute=0, second=0, microsecond=0)
            key = (
                catalog.customers[record["customer"]],
                catalog.dimensions[record["dimension"]],
                hour,
            )
            if key not in rows:
                rows[key] = (quantity, 1, quantity, quantity, quantity, moment)
                continue
            total, count, low, high, last, last_at = rows[key]
            later = moment >= last_at
            rows[key] = (
                total + quantity,
                count + 1,
                min(low, quantity),
                max(high, quantity),
                quantity if later else last,
                moment if later else last_at,
            )
    return rows


def crash_on_quarantine(engine: Engine) -> None:
    """A real database failure inside the commit, after the rollups were written."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER crash BEFORE INSERT ON quarantinedline BEGIN SELECT RAISE(ABORT, 'injected crash'); END"  # noqa: E501
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected crash'; END $$ LANGUAGE plpgsql"  # noqa: E501
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER crash BEFORE INSERT ON quarantinedline FOR EACH ROW EXECUTE FUNCTION crash()"  # noqa: E501
                )
            )


def heal(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER crash"
                + ("" if engine.dialect.name == "sqlite" else " ON quarantinedline")
            )
        )
