"""Ingestion benchmark: meterbot end to end vs a naive loop and a Polars ceiling.

    python bench/ingest.py [--mb 300] [--runs 3] [--big-mb 0]

Generates realistic usage: JSON Lines in the record format plus host and region,
500 customers, five dimensions, a day of hours, about --mb MB. It is laid out the
way a product writes it, one object per hour (`2026/11/22/HH/usage-0000.jsonl`,
records in time order), and also as one object holding the whole day. Each case
runs in its own subprocess; peak memory is that process's high-water mark (VmHWM).

  1. meterbot, local folder -> SQLite, end to end (parse, validate, map, roll up, commit)
  2. the same through S3 (moto's threaded server on loopback)
  3. naive: a Python loop of json.loads per line adding into a dict
  4. ceiling: Polars reads the files and groups by customer, dimension, hour;
     no validation, no exact decimals, no database
  and (1) without the database, to show where the time goes (objects read one at a
  time, so without the pass's overlap of several objects).
--big-mb N also ingests one N MB object through (1) and reports its peak memory.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CUSTOMERS = 500
DIMENSIONS = ["storage_tb", "api_calls", "cpu_hours", "users", "egress_gb"]
REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]
DAY = datetime(2026, 11, 22, tzinfo=UTC)
NOW = datetime(2026, 11, 23, tzinfo=UTC)
RECORD_BYTES = 143  # about, for sizing


# -- data -------------------------------------------------------------------------


def generate(root: Path, megabytes: int, *, single: bool = False) -> int:
    """About `megabytes` MB of records, one file per hour (or one file); records written."""
    per_hour = megabytes * 1_000_000 // RECORD_BYTES // 24
    one = root / "2026/11/22/usage-day.jsonl"
    if single:
        one.parent.mkdir(parents=True, exist_ok=True)
    with one.open("wb") if single else open(os.devnull, "wb") as whole:
        for hour in range(24):
            text = _hour_of_records(hour, per_hour)
            if single:
                whole.write(text)
                continue
            path = root / f"2026/11/22/{hour:02d}/usage-0000.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
    return per_hour * 24


def _hour_of_records(hour: int, rows: int) -> bytes:
    """One hour of records in time order, quantities as JSON numbers with three decimals."""
    index = pl.int_range(hour * rows, (hour + 1) * rows, eager=True, dtype=pl.UInt64)
    h = (index * 2654435761) % 4294967296
    frame = pl.DataFrame({"h": h}).select(
        (
            pl.lit(DAY + timedelta(hours=hour)) + pl.duration(milliseconds=pl.col("h") % 3_600_000)
        ).alias("at"),
        (pl.lit("acct-") + (pl.col("h") // 7 % CUSTOMERS).cast(pl.String).str.zfill(4)).alias(
            "customer"
        ),
        (pl.col("h") // 11 % 5).replace_strict(dict(enumerate(DIMENSIONS))).alias("dimension"),
        pl.format(
            "{}.{}",
            pl.col("h") // 13 % 100_000 // 1000,
            (pl.col("h") // 13 % 1000).cast(pl.String).str.zfill(3),
        ).alias("quantity"),
        (pl.lit("node-") + (pl.col("h") // 3 % 64).cast(pl.String)).alias("host"),
        (pl.col("h") // 17 % 3).replace_strict(dict(enumerate(REGIONS))).alias("region"),
    )
    frame = frame.sort("at").select(
        pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").alias("timestamp"),
        "customer",
        "dimension",
        "quantity",
        "host",
        "region",
    )
    return re.sub(rb'"quantity":"([0-9.]+)"', rb'"quantity":\1', frame.write_ndjson().encode())


def files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


# -- the cases, each run in a child process -----------------------------------------


def case_meterbot(root: Path, url: str | None, work: Path) -> dict[str, float]:
    from sqlmodel import Session, SQLModel

    import core.models  # noqa: F401
    from core.db import make_engine
    from core.ingest.pipeline import ingest_pass
    from core.ingest.sources.base import open_source
    from core.models import Customer, CustomerAlias, Dimension, Product

    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        product = Product(key="lake", name="Lake")
        session.add(product)
        session.flush()
        for key in DIMENSIONS:
            session.add(Dimension(product_id=product.id, key=key, marketplace_key=key, name=key))
        for i in range(CUSTOMERS):
            customer = Customer(name=f"Customer {i}")
            session.add(customer)
            session.flush()
            session.add(CustomerAlias(customer_id=customer.id, usage_id=f"acct-{i:04d}"))
        session.commit()
    s3 = None
    if url:
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=os.environ["BENCH_S3"])
    source = open_source(url or str(root), s3_client=s3)
    started = time.perf_counter()
    report = ingest_pass(engine, source=source, now=NOW, worker="bench")
    seconds = time.perf_counter() - started
    assert not report.failed and report.rejected == 0 and report.unmatched == 0, report.as_text()
    return {"seconds": seconds, "records": report.records}


def case_no_db(root: Path) -> dict[str, float]:
    """meterbot's reading, validation and aggregation of the objects, without the database."""
    from core.ingest.objects import Context, read_object
    from core.ingest.read.formats import CHUNK_BYTES
    from core.ingest.read.records import default_fields
    from core.ingest.sources.base import LocalSource

    source = LocalSource(root)
    context = Context(
        dimensions={key: i for i, key in enumerate(DIMENSIONS, start=1)},
        aliases={f"acct-{i:04d}": i + 1 for i in range(CUSTOMERS)},
        fields=default_fields(),
        now=NOW,
        max_age=timedelta(days=62),
    )
    started = time.perf_counter()
    records = 0
    for ref in source.discover(now=NOW):
        result = read_object(source, ref, context, chunk_bytes=CHUNK_BYTES, quarantine_cap=100)
        records += result.records
    return {"seconds": time.perf_counter() - started, "records": records}


def case_naive(root: Path) -> dict[str, float]:
    started = time.perf_counter()
    totals: dict[tuple[str, str, str], float] = {}
    records = 0
    for path in files(root):
        with path.open("rb") as file:
            for line in file:
                record = json.loads(line)
                key = (record["customer"], record["dimension"], record["timestamp"][:13])
                totals[key] = totals.get(key, 0.0) + record["quantity"]
                records += 1
    return {"seconds": time.perf_counter() - started, "records": records}


def case_ceiling(root: Path) -> dict[str, float]:
    started = time.perf_counter()
    frame = pl.read_ndjson([str(path) for path in files(root)])
    totals = (
        frame.with_columns(hour=pl.col("timestamp").str.slice(0, 13))
        .group_by("customer", "dimension", "hour")
        .agg(pl.col("quantity").sum())
    )
    assert totals.height > 0
    return {"seconds": time.perf_counter() - started, "records": frame.height}


def child(case: str, root: Path, work: Path) -> None:
    if case == "local":
        result = case_meterbot(root, None, work)
    elif case == "s3":
        result = case_meterbot(root, "s3://bench/usage/", work)
    elif case == "no-db":
        result = case_no_db(root)
    elif case == "naive":
        result = case_naive(root)
    else:
        result = case_ceiling(root)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's
    high-water mark inherited across fork, so it is only the fallback)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent: data, S3 server, runs, tables --------------------------------------


def run_case(case: str, root: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        out = subprocess.run(
            [sys.executable, __file__, "--case", case, "--root", str(root), "--work", work],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(case: str, root: Path, runs: int) -> dict[str, float]:
    measured = [run_case(case, root) for _ in range(runs)]
    return {
        "seconds": statistics.median(m["seconds"] for m in measured),
        "records": measured[0]["records"],
        "peak_mb": max(m["peak_mb"] for m in measured),
        "runs": runs,
    }


def start_s3(root: Path) -> tuple[object, str]:
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server.start()
    url = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
    s3.create_bucket(Bucket="bench")
    for path in files(root):
        s3.upload_file(str(path), "bench", "usage/" + path.relative_to(root).as_posix())
    return server, url


NAMES = {
    "local": "1 meterbot local -> SQLite",
    "s3": "2 meterbot S3 (moto) -> SQLite",
    "naive": "3 naive json.loads loop",
    "ceiling": "4 ceiling: Polars group_by",
    "no-db": "  (1) without the database",
}


def table(title: str, results: dict[str, dict[str, float]], size: int) -> None:
    print(f"\n{title}")
    print(f"{'case':34} {'MB/s':>8} {'records/s':>12} {'peak MB':>9} {'runs':>5}")
    for case, result in results.items():
        rate = size / 1e6 / result["seconds"]
        per_second = result["records"] / result["seconds"]
        peak, runs = result["peak_mb"], int(result["runs"])
        print(f"{NAMES[case]:34} {rate:8,.0f} {per_second:12,.0f} {peak:9,.0f} {runs:5}")
    local = results["local"]["seconds"]
    ratios = [f"(1) is {results['ceiling']['seconds'] / local:.0%} of the ceiling"]
    if "naive" in results:
        ratios.append(f"{results['naive']['seconds'] / local:.1f}x the naive loop")
    print("; ".join(ratios))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs of the cheap cases (median)")
    parser.add_argument("--big-mb", type=int, default=0, help="also: one N MB object")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case, Path(args.root), Path(args.work))
        return
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    with tempfile.TemporaryDirectory() as tmp:
        hourly, single = Path(tmp) / "hourly", Path(tmp) / "single"
        rows = generate(hourly, args.mb)
        generate(single, args.mb, single=True)
        size = sum(p.stat().st_size for p in files(hourly))
        print(
            f"data: {size / 1e6:,.0f} MB, {rows:,} records, {CUSTOMERS} customers, "
            f"{len(DIMENSIONS)} dimensions, 24 hours ({os.cpu_count()} CPUs)"
        )
        server, os.environ["BENCH_S3"] = start_s3(hourly)
        # The naive loop runs as often as (1) and (4): the ratios are medians of each.
        cases = [("local", args.runs), ("s3", 1), ("naive", args.runs), ("ceiling", args.runs)]
        cases.append(("no-db", args.runs))
        results = {case: measure(case, hourly, runs) for case, runs in cases}
        server.stop()  # type: ignore[attr-defined]
        table("24 hourly objects (as a product writes them)", results, size)
        one = {case: measure(case, single, args.runs) for case in ("local", "ceiling", "no-db")}
        table("the same day as one object", one, size)
        if args.big_mb:
            big = Path(tmp) / "big"
            generate(big, args.big_mb, single=True)
            measured = run_case("local", big)
            mb = sum(p.stat().st_size for p in files(big)) / 1e6
            print(
                f"\none {mb:,.0f} MB object through (1): {mb / measured['seconds']:,.0f} MB/s, "
                f"peak memory {measured['peak_mb']:,.0f} MB"
            )


if __name__ == "__main__":
    main()
