"""Submission benchmark: 10,000 records due for one hour, sent to a Marketplace stand-in.

    python bench/submit.py [--customers 2000] [--latency 0.15] [--quota 10]

2,000 customers x 5 hourly dimensions are due for one hour. The local stand-in answers
each BatchMeterUsage call in --latency seconds and throttles above --quota calls a
second (a sliding one-second window), as AWS does. Two senders run in the same process,
each on a fresh SQLite database and a fresh stand-in:
  1. meterbot: `submit_due` with the thread pool and shared rate limiter
  2. sequential: the same pass, one call at a time (workers=1)
For each it prints calls made, throttles met, records per second and wall time (the
whole pass: accounting from the rollups, claims, sends and ledger updates), then checks
zero duplicates (each identity billed once) and zero lost (every usage quantity billed
exactly, every ledger row accepted).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, SQLModel, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import make_engine
from core.marketplace.client import MeteringClient
from core.marketplace.submit import submit_due
from core.models import Customer, Dimension, HourlyRollup, MeteringRecord, Product
from core.models.ledger import MeteringState
from tests.fakes.marketplace import MarketplaceStandIn

CODE = "prod-bench"
DIMENSIONS = ["storage_tb", "api_calls", "cpu_hours", "users", "egress_gb"]
HOUR = datetime(2026, 11, 22, 10, tzinfo=UTC)
NOW = HOUR + timedelta(hours=1, minutes=5)


def seed(path: Path, customers: int) -> tuple[object, dict[tuple[str, str], Decimal]]:
    """A database where one hour is due for every customer and dimension."""
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    expected: dict[tuple[str, str], Decimal] = {}
    with Session(engine) as session:
        product = Product(key="bench", name="Bench", marketplace_product_code=CODE)
        session.add(product)
        session.flush()
        dims = [
            Dimension(product_id=product.id, key=k, marketplace_key=k, name=k) for k in DIMENSIONS
        ]
        people = [
            Customer(name=f"c{i:05d}", product_id=product.id, customer_identifier=f"cust-{i:05d}")
            for i in range(customers)
        ]
        session.add_all(dims + people)
        session.flush()
        for n, customer in enumerate(people):
            for m, dimension in enumerate(dims):
                quantity = Decimal(n * 7 + m * 13 + 1) / 1000  # fractional usage
                session.add(
                    HourlyRollup(customer_id=customer.id, dimension_id=dimension.id, hour=HOUR,
                                 sum=quantity, count=1, max=quantity, last=quantity)
                )  # fmt: skip
                # metering has been running: this hour is the only one due
                session.add(
                    MeteringState(customer_id=customer.id, dimension_id=dimension.id,
                                  first_period=HOUR, next_period=HOUR)
                )  # fmt: skip
                expected[(customer.customer_identifier or "", dimension.marketplace_key)] = quantity
        session.commit()
    return engine, expected


def run(label: str, workers: int, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, MarketplaceStandIn() as mp:
        engine, expected = seed(Path(tmp) / "bench.db", args.customers)
        mp.latency, mp.throttle_above, mp.clock = args.latency, args.quota, lambda: NOW
        mp.add_product(CODE, DIMENSIONS)
        for i in range(args.customers):
            mp.subscribe(CODE, f"cust-{i:05d}")
        client = MeteringClient(mp.boto_client(), rate=args.rate, workers=workers)
        started = time.monotonic()
        report = submit_due(engine, client=client, now=NOW)  # type: ignore[arg-type]
        wall = time.monotonic() - started
        records = len(report.outcomes)
        print(
            f"{label:<11} calls {report.calls:>4}  throttles {report.throttles:>3}  "
            f"records {records:>6}  {records / wall:>6.0f} records/s  wall {wall:6.1f} s  "
            f"(sending {report.seconds:5.1f} s)"
        )
        check(report, mp, engine, expected)
        engine.dispose()  # type: ignore[attr-defined]
    return {"wall": wall, "records": records}


def check(report, mp: MarketplaceStandIn, engine, expected) -> None:  # type: ignore[no-untyped-def]
    identities = [(b.customer, b.dimension, b.hour) for b in mp.accepted]
    duplicates = len(identities) - len(set(identities))
    billed = {(b.customer, b.dimension): b.quantity for b in mp.accepted}
    lost = sum(1 for key, quantity in expected.items() if billed.get(key) != quantity)
    with Session(engine) as session:  # type: ignore[arg-type]
        statuses = {r.status for r in session.exec(select(MeteringRecord)).all()}
    assert duplicates == 0, f"{duplicates} identities billed twice"
    assert lost == 0, f"{lost} quantities not billed as used"
    assert statuses == {"accepted"}, f"ledger statuses {statuses}"
    print(f"            duplicates 0, lost 0, every ledger row accepted ({len(billed)} billed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--quota", type=int, default=10, help="calls/second before throttling")
    parser.add_argument("--rate", type=float, default=9.5, help="the sender's pace, calls/s")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    due = args.customers * len(DIMENSIONS)
    floor = due / 25 / args.quota
    print(
        f"{due} records due for {HOUR:%Y-%m-%d %H:00}Z; stand-in {args.latency * 1000:.0f} ms "
        f"a call, throttling above {args.quota} calls/s; quota floor {floor:.0f} s"
    )
    fast = run("meterbot", args.workers, args)
    slow = run("sequential", 1, args)
    print(f"meterbot is {slow['wall'] / fast['wall']:.2f}x the sequential sender")


if __name__ == "__main__":
    main()
