"""`meterbot demo`: the pipeline end to end on sample data, with no account anywhere.

It works in a folder of its own (a fresh SQLite file there, never the user's
database) and runs small named steps in order, so a step can be swapped or added
without touching the others.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.billing.invoices import build_invoice, invoice_table
from core.customers.lookup import contract_at
from core.db import open_database
from core.errors import MeterbotError
from core.formatting import figure, table
from core.ingest.pipeline import ingest_pass
from core.ingest.sources.open import open_source
from core.marketplace.client import DryRunClient
from core.marketplace.submit import submit_due
from core.models import Customer, CustomerAlias, Dimension
from core.periods import HOUR, Period, hour_floor, month_of
from core.plans.file import SAMPLE_PLANS, load_plan_file
from core.plans.versions import apply_plan_file
from core.reports.digests import build_digest, digest_message
from core.usage.rollups import aggregate, usage_for_all

if TYPE_CHECKING:
    from bot.app import Services

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

    @property
    def usage(self) -> Path:
        """Where the sample usage files go (what METERBOT_USAGE_URL would name)."""
        return self.folder / "usage"

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


Step = Callable[[Demo], None]


def apply_sample_plans(demo: Demo) -> None:
    """Sample plans and customers (`meterbot plans apply`)."""
    plan_file = load_plan_file(SAMPLE_PLANS)
    report = apply_plan_file(demo.engine, plan_file, now=demo.now, actor="demo")
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


def write_sample_usage(demo: Demo) -> None:
    """Sample usage files for the last day, as the product would drop them (seeded)."""
    rng = random.Random(SEED)
    with Session(demo.engine) as session:
        dims = [d.key for d in session.exec(select(Dimension).order_by(col(Dimension.id)))]
        ids = session.exec(select(CustomerAlias.usage_id).order_by(col(CustomerAlias.id))).all()
    levels = {(u, d): _level(rng, d) for u in ids for d in dims}
    records = 0
    for i in range(demo.window.hours):
        hour = demo.window.start + i * HOUR
        lines = [
            _line(rng, hour, usage_id, key, value)
            for (usage_id, key), level in levels.items()
            for value in _hour_records(rng, key, level, hour)
        ]
        records += len(lines)
        if i == demo.window.hours - 1:
            lines += _bad_lines(hour)
        _write_hour(demo.usage, hour, sorted(lines), gzipped=i % 2 == 1)
    demo.say(
        f"{demo.window.hours} hourly files ({records} records, every other one gzipped) in "
        f"{demo.usage}, records named as the sample field mapping says (ts, cluster_id, "
        "metric, value), with a few bad lines"
    )


def _level(rng: random.Random, key: str) -> Decimal:
    low, high = _SHAPES.get(key, (4, (1, 10)))[1]
    return Decimal(rng.randint(low * 10, high * 10)) / 10


def _line(rng: random.Random, hour: datetime, usage_id: str, key: str, value: Decimal) -> str:
    moment = hour + timedelta(seconds=rng.randrange(3600))
    return json.dumps(
        {
            "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cluster_id": usage_id,
            "metric": key,
            "value": str(value),
            "host": f"node-{rng.randrange(1, 9)}",
        }
    )


def _bad_lines(hour: datetime) -> list[str]:
    """Lines a real feed gets wrong: each is quarantined with its reason, none is lost."""
    ts = hour.strftime("%Y-%m-%dT%H:30:00Z")
    return [
        '{"ts": "not a time", "cluster_id": "cl-globex-01", "metric": "compute_hours", "value": 1}',
        f'{{"ts": "{ts}", "cluster_id": "cl-globex-01", "metric": "disk_iops", "value": "3"}}',
        f'{{"ts": "{ts}", "cluster_id": "cl-globex-01", "metric": "compute_hours", "value": "-4"}}',
        '{"cluster_id": "cl-globex-01", "metric": "compute_hours", "value": "2"}',
        "{this line was cut off",
    ]


def _write_hour(folder: Path, hour: datetime, lines: list[str], *, gzipped: bool) -> None:
    path = folder / f"{hour:%Y/%m/%d/%H}" / ("usage.jsonl.gz" if gzipped else "usage.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)


def ingest_sample_usage(demo: Demo) -> None:
    """Ingest them (`meterbot ingest`): parse, validate, map to customers, roll up."""
    # One line for usage under an id no customer has yet: kept, and billed once mapped.
    unknown = json.dumps(
        {
            "ts": (demo.window.end - HOUR).strftime("%Y-%m-%dT%H:05:00Z"),
            "cluster_id": "cl-new-lab",
            "metric": "compute_hours",
            "value": "2.5",
        }
    )
    (demo.usage / "unmatched.jsonl").write_text(unknown + "\n")
    source = open_source(str(demo.usage), s3_client=None)
    report = ingest_pass(demo.engine, source=source, now=demo.now, worker="demo")
    demo.say(report.as_text())


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
            cells.append(figure(aggregate(found, d.aggregation)) if found else "-")
        rows.append(cells)
    for line in table(rows, align="<" + ">" * len(dims)):
        demo.say(line)


def marketplace_dry_run(demo: Demo) -> None:
    """What would go to AWS Marketplace now (`meterbot submit --dry-run`)."""
    report = submit_due(demo.engine, client=DryRunClient(), now=demo.now, dry_run=True)
    text = report.as_text().splitlines()
    shown = 12
    demo.say("\n".join(text[:shown]))
    if len(text) > shown:
        demo.say(f"  ... and {len(text) - shown} more lines (meterbot submit --dry-run)")


def show_invoice(demo: Demo) -> None:
    """This month's invoice so far, for one customer."""
    period = month_of(demo.window.end - HOUR)
    with Session(demo.engine) as session:
        customer = session.exec(select(Customer).where(Customer.name == INVOICE_CUSTOMER)).one()
        assert customer.id is not None
        if contract_at(session, customer_id=customer.id, at=period) is None:
            demo.say(f"no invoice: {customer.name} has no contract in {period.start:%Y-%m}")
            return
        doc = build_invoice(session, customer_id=customer.id, period=period, now=demo.now)
    demo.say(invoice_table(doc))


def post_digest(demo: Demo) -> None:
    """The daily digest the channel would get, with its chart."""
    with Session(demo.engine) as session:
        message = digest_message(build_digest(session, period="day", now=demo.now))
    demo.say(message.as_text())
    for attachment in message.attachments:
        path = demo.folder / attachment.filename
        path.write_bytes(attachment.content)
        demo.say(f"  chart: {path}")


STEPS: list[Step] = [
    apply_sample_plans,
    write_sample_usage,
    ingest_sample_usage,
    show_usage_summary,
    marketplace_dry_run,
    show_invoice,
    post_digest,
]


def run_demo(folder: Path, *, now: datetime, out: TextIO | None = None) -> Demo:
    """Every step, in order, on a fresh database in `folder`."""
    database = folder / "meterbot-demo.db"
    for stale in folder.glob("meterbot-demo.db*"):
        stale.unlink()
    shutil.rmtree(folder / "usage", ignore_errors=True)
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
        description="Sample plans and customers, a day of usage files ingested, a summary, "
        "a Marketplace dry run, an invoice and a digest.",
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
