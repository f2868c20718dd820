"""A gauge over a customer with several usage ids (clusters): figured per cluster, then
combined across them (sum by default, or mean or max), end to end through ingestion and
a submission pass against the Marketplace stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from core.ingest.pipeline import ingest_pass
from core.ingest.sources.open import open_source
from core.marketplace.submit import submit_due
from core.models import CustomerAlias, Dimension
from core.periods import month_of
from core.usage.rollups import billed_usage
from tests.marketplace.conftest import CODE, fast_client

HOUR = datetime(2026, 11, 23, 10, tzinfo=UTC)
# Two clusters' disk readings in one hour: cl-a1 averages 10 TB, cl-a2 30 TB.
READINGS = [("cl-a1", "10:05", 8), ("cl-a2", "10:10", 30), ("cl-a1", "10:40", 12)]


def setup(world, marketplace, aggregation: str, combine: str) -> Dimension:
    with Session(world.engine, expire_on_commit=False) as session:
        disk = Dimension(
            product_id=world.product.id or 0,
            key="disk",
            marketplace_key="disk",
            name="Disk",
            unit="TB",
            aggregation=aggregation,
            combine=combine,
        )
        session.add(disk)
        for usage_id in ("cl-a1", "cl-a2"):
            session.add(CustomerAlias(customer_id=world.alpha.id or 0, usage_id=usage_id))
        session.commit()
    marketplace.add_product(CODE, ["storage_tb", "seats", "archive_tb_month", "disk"])
    marketplace.subscribe(CODE, "cust-alpha")
    return disk


def ingest(world, tmp_path, now):
    folder = tmp_path / "usage"
    folder.mkdir()
    for usage_id, at, value in READINGS:  # one object per cluster and reading
        record = {"timestamp": f"2026-11-23T{at}:00Z", "customer": usage_id,
                  "dimension": "disk", "quantity": value}  # fmt: skip
        (folder / f"{usage_id}-{at}.jsonl").write_text(json.dumps(record) + "\n")
    ingest_pass(world.engine, source=open_source(str(folder), s3_client=None), now=now, worker="w")


@pytest.mark.parametrize(
    ("aggregation", "combine", "billed"),
    [
        ("avg", "sum", 40),  # 10 + 30: what both clusters store (the mean of readings: 16.67)
        ("avg", "mean", 20),
        ("avg", "max", 30),
        ("peak", "sum", 42),  # 12 + 30
        ("last", "sum", 42),  # cl-a1's latest 12, cl-a2's 30
    ],
)
def test_a_gauge_is_combined_per_usage_id_then_across(
    world, marketplace, clock, tmp_path, aggregation, combine, billed
):
    disk = setup(world, marketplace, aggregation, combine)
    now = HOUR + timedelta(hours=1, minutes=5)
    ingest(world, tmp_path, now)
    clock.now = now
    submit_due(world.engine, client=fast_client(marketplace), now=now)
    billed_now = marketplace.billed().items()
    sent = {h: q for (_, c, d, h), q in billed_now if (c, d) == ("cust-alpha", "disk")}
    assert sent == {HOUR: Decimal(billed)}
    with Session(world.engine) as session:  # invoices and /meter usage read the same rule
        month = billed_usage(
            session, customer_id=world.alpha.id or 0, dimension=disk, period=month_of(HOUR)
        )
    assert month == Decimal(billed)
