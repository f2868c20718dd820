"""How long alert evaluation and a daily digest take on a month of rollups (SQLite).

    python bench/alerts_digest.py [customers] [days]

Baseline: `core.usage.rollups.usage_for_all` over the same month, i.e. just reading and
folding every hourly row once. Alerts run after every ingestion pass, so they should
stay within a small multiple of that.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, SQLModel

import core.models  # noqa: F401  (registers every table)
from core.access import Admins
from core.alerts.rules import add_rule, check_rules
from core.db import make_engine
from core.models import Customer, Dimension, HourlyRollup, Product
from core.periods import month_of
from core.reports.digests import build_digest
from core.usage.rollups import usage_for_all

ADMINS = Admins(frozenset({"bench"}))  # who may send, retry and change rules here


def seed(session: Session, customers: int, days: int, start: datetime) -> None:
    product = Product(key="db", name="DB")
    session.add(product)
    session.flush()
    dims = [
        Dimension(product_id=product.id, key=k, marketplace_key=k, name=k, aggregation=a)
        for k, a in (("storage_tb", "avg"), ("api_requests", "sum"))
    ]
    session.add_all(dims)
    session.flush()
    rows = []
    for n in range(customers):
        customer = Customer(name=f"Customer {n}")
        session.add(customer)
        session.flush()
        for dim in dims:
            for h in range(days * 24):
                value = Decimal(10 + n % 7)
                hour = start + timedelta(hours=h)
                rows.append(
                    dict(
                        customer_id=customer.id,
                        dimension_id=dim.id,
                        hour=hour,
                        sum=value,
                        count=1,
                        min=value,
                        max=value,
                        last=value,
                        last_at=hour,
                    )
                )
    session.bulk_insert_mappings(HourlyRollup, rows)  # type: ignore[arg-type]
    session.commit()


def timed(label: str, fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    print(f"{label:<42} {seconds:8.3f} s")
    return seconds


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    start = datetime(2026, 11, 1, tzinfo=UTC)
    now = start + timedelta(days=days)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as s:
            seed(s, customers, days, start)
            add_rule(s, text="api_requests > 100000", actor="bench", admins=ADMINS, now=now)
            s.commit()
        print(f"{customers} customers x 2 dimensions x {days * 24} hours")
        with Session(engine) as s:
            timed(
                "baseline: usage_for_all (month)",
                lambda: usage_for_all(s, period=month_of(now), as_of=now),
            )
        with Session(engine) as s:
            timed("check_rules (one all-customer rule)", lambda: check_rules(s, now=now))
            s.commit()
        with Session(engine) as s:
            timed("check_rules again (state known)", lambda: check_rules(s, now=now))
        with Session(engine) as s:
            timed("build_digest('day')", lambda: build_digest(s, period="day", now=now))


if __name__ == "__main__":
    main()
