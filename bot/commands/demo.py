"""`meterbot demo`: the pipeline end to end on sample data, with no account anywhere.

It works in a folder of its own (a fresh SQLite file there, never the user's
database) and runs small named steps in order, so a step can be swapped or added
without touching the others.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import Services
from core.db import open_database, session_scope
from core.errors import MeterbotError
from core.invoices import build_invoice, invoice_table
from core.models import Customer, Dimension, HourlyRollup
from core.periods import HOUR, Period, hour_floor, month_of
from core.planfile import SAMPLE_PLANS, load_plan_file
from core.plans import apply_plan_file
from core.rating import contract_for_month
from core.rollups import aggregate, usage_for_all

SEED = 20261122  # the same synthetic usage on every run
INVOICE_CUSTOMER = "Northwind Analytics"


@dataclass
class Demo:
    """What the steps share: where the demo lives, its database, its clock, its output."""

    folder: Path
    engine: Engine
    now: datetime
    out: TextIO = field(default_factory=lambda: sys.stdout)
    window: Period = field(init=False)

    def __post_init__(self) -> None:
        end = hour_floor(self.now)
        self.window = Period(end - 24 * HOUR, end)  # the last 24 whole hours

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


Step = Callable[[Demo], None]


def apply_sample_plans(demo: Demo) -> None:
    """Sample plans and customers (`meterbot plans apply`)."""
    plan_file = load_plan_file(SAMPLE_PLANS)
    with session_scope(demo.engine) as session:
        report = apply_plan_file(session, plan_file, now=demo.now, actor="demo")
    demo.say(f"from {SAMPLE_PLANS}")
    demo.say(report.as_text())


# Per dimension: records per hour, and a customer's typical hourly level (low, high).
_SHAPES = {
    "storage_tb": (12, (8, 160)),
    "gold_clients": (12, (0, 14)),
    "compute_hours": (6, (4, 90)),
    "api_requests": (60, (1, 40)),
    "peak_nodes": (12, (3, 48)),
}


def _hour_records(rng: random.Random, key: str, level: Decimal, hour: datetime) -> list[Decimal]:
    count, _ = _SHAPES.get(key, (4, (1, 10)))
    daytime = Decimal("1.4") if 8 <= hour.hour < 20 else Decimal("0.7")
    if key == "storage_tb":  # a gauge that barely moves
        return [(level + Decimal(rng.randint(-50, 50)) / 100) for _ in range(count)]
    if key in ("gold_clients", "peak_nodes"):  # whole-unit gauges
        top = int(level * daytime)
        return [Decimal(rng.randint(max(top - 3, 0), top)) for _ in range(count)]
    return [
        (level * daytime * Decimal(rng.randint(50, 150)) / 100 / count).quantize(Decimal("0.001"))
        for _ in range(count)
    ]


def write_synthetic_rollups(demo: Demo) -> None:
    """A day of synthetic hourly rollups per customer and dimension (seeded)."""
    rng = random.Random(SEED)
    rows = 0
    with session_scope(demo.engine) as session:
        dimensions = session.exec(select(Dimension).order_by(col(Dimension.id))).all()
        for customer in session.exec(select(Customer).order_by(col(Customer.id))).all():
            for dim in dimensions:
                low, high = _SHAPES.get(dim.key, (4, (1, 10)))[1]
                level = Decimal(rng.randint(low * 10, high * 10)) / 10
                for i in range(demo.window.hours):
                    hour = demo.window.start + i * HOUR
                    records = _hour_records(rng, dim.key, level, hour)
                    session.add(_rollup(customer, dim, hour, records))
                    rows += 1
    demo.say(
        f"{rows} hourly rollups, {demo.window.start:%Y-%m-%d %H:00}"
        f" to {demo.window.end:%Y-%m-%d %H:00} UTC"
    )


def _rollup(
    customer: Customer, dim: Dimension, hour: datetime, values: list[Decimal]
) -> HourlyRollup:
    assert customer.id is not None and dim.id is not None
    return HourlyRollup(
        customer_id=customer.id,
        dimension_id=dim.id,
        hour=hour,
        sum=sum(values, Decimal(0)),
        count=len(values),
        min=min(values),
        max=max(values),
        last=values[-1],
        last_at=hour + timedelta(minutes=59),
    )


def show_usage_summary(demo: Demo) -> None:
    """Usage over those 24 hours, per customer and dimension."""
    with Session(demo.engine) as session:
        dims = session.exec(select(Dimension).order_by(col(Dimension.id))).all()
        names = {c.id: c.name for c in session.exec(select(Customer).order_by(col(Customer.name)))}
        usage = usage_for_all(session, period=demo.window)
    head = ["Customer"] + [f"{d.key} ({d.aggregation})" for d in dims]
    rows = [head]
    for customer_id, name in names.items():
        cells = [name]
        for d in dims:
            found = usage.get((customer_id, d.id))  # type: ignore[arg-type]
            cells.append(f"{aggregate(found, d.aggregation):,.2f}" if found else "-")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for row in rows:
        demo.say(
            "  ".join(
                [row[0].ljust(widths[0])]
                + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
            )
        )


def show_invoice(demo: Demo) -> None:
    """This month's invoice so far, for one customer."""
    period = month_of(demo.window.end - HOUR)
    with Session(demo.engine) as session:
        customer = session.exec(select(Customer).where(Customer.name == INVOICE_CUSTOMER)).one()
        assert customer.id is not None
        if contract_for_month(session, customer_id=customer.id, period=period) is None:
            demo.say(f"no invoice: {customer.name} has no contract in {period.start:%Y-%m}")
            return
        doc = build_invoice(session, customer_id=customer.id, period=period, now=demo.now)
    demo.say(invoice_table(doc))


STEPS: list[Step] = [apply_sample_plans, write_synthetic_rollups, show_usage_summary, show_invoice]


def run_demo(folder: Path, *, now: datetime, out: TextIO | None = None) -> Demo:
    """Every step, in order, on a fresh database in `folder`."""
    database = folder / "meterbot-demo.db"
    for stale in folder.glob("meterbot-demo.db*"):
        stale.unlink()
    demo = Demo(
        folder=folder, engine=open_database(f"sqlite:///{database}"), now=now, out=out or sys.stdout
    )
    demo.say(
        f"meterbot demo: working in {folder} (database {database.name}; your own is untouched)\n"
    )
    try:
        for number, step in enumerate(STEPS, start=1):
            title = (step.__doc__ or step.__name__).strip().splitlines()[0].rstrip(".")
            demo.say(f"{number}. {title}")
            step(demo)
            demo.say()
    finally:
        demo.engine.dispose()
    return demo


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "demo",
        help="the pipeline end to end on sample data, no account needed",
        description="Sample plans and customers, a day of usage, a summary and an invoice.",
    )
    parser.add_argument("--dir", metavar="DIR", help="work here (default: a new temporary folder)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    started = time.monotonic()
    if args.dir:
        folder = Path(args.dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MeterbotError(f"cannot use {folder} for the demo: {exc.strerror}") from None
    else:
        folder = Path(tempfile.mkdtemp(prefix="meterbot-demo-"))
    demo = run_demo(folder, now=datetime.now(UTC))
    database = demo.folder / "meterbot-demo.db"
    demo.say(
        f"done in {time.monotonic() - started:.1f}s; look around with"
        f" METERBOT_DATABASE_URL=sqlite:///{database} meterbot invoice Globex"
    )
    return 0
