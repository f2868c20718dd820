"""Ingestion benchmark: meterbot end to end vs a naive loop and a Polars ceiling.

    python bench/ingest.py [--mb 300] [--runs 3] [--big-mb 0]

Generates one realistic JSON Lines object (the record format plus host and region,
500 customers, five dimensions, a day of hours) of about --mb MB and prints, per
case, MB/s, records/s and the peak memory of the process that ran it (each case
runs in its own subprocess; peak = its ru_maxrss):
  1. meterbot, local folder -> SQLite, end to end (parse, validate, map, roll up, commit)
  2. the same through S3 (moto's threaded server on loopback)
  3. naive: a Python loop of json.loads per line adding into a dict
  4. ceiling: Polars reads the file and groups by customer, dimension, hour; no checks, no DB
--big-mb N also ingests one N MB object through (1) and reports its peak memory.
"""

from __future__ import annotations

import argparse
import json
import re
import logging
import os
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
START = datetime(2026, 11, 22, tzinfo=UTC)
KEY = "2026/11/22/usage-big.jsonl"


def generate(path: Path, megabytes: int) -> int:
    """About `megabytes` MB of records, written in slices so memory stays small; rows written."""
    rows_per_slice, written, rows = 100_000, 0, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        while written < megabytes * 1_000_000:
            index = pl.int_range(rows, rows + rows_per_slice, eager=True).alias("i")
            h = (index.cast(pl.UInt64) * 2654435761) % 4294967296
            frame = pl.DataFrame(
                {
                    "timestamp": pl.select(
                        (
                            pl.lit(START)
                            + pl.duration(milliseconds=pl.lit((h * 7919) % 86_400_000))
                        ).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                    ).to_series(),
                    "customer": pl.select(
                        pl.lit("acct-") + pl.lit(h % CUSTOMERS).cast(pl.String).str.zfill(4)
                    ).to_series(),
                    "dimension": pl.select(
                        pl.lit((h // 7) % 5).replace_strict(dict(enumerate(DIMENSIONS)))
                    ).to_series(),
                    "quantity": pl.select(
                        pl.format(
                            "{}.{}",
                            pl.lit((h // 13) % 100_000) // 1000,
                            (pl.lit((h // 13) % 1000)).cast(pl.String).str.zfill(3),
                        )
                    ).to_series(),
                    "host": pl.select(
                        pl.lit("node-") + pl.lit((h // 3) % 64).cast(pl.String)
                    ).to_series(),
                    "region": pl.select(
                        pl.lit((h // 11) % 3).replace_strict(
                            {0: "us-east-1", 1: "eu-west-1", 2: "us-west-2"}
                        )
                    ).to_series(),
                }
            )
            # Quantities as JSON numbers with three decimals, as a product writes them.
            text = frame.write_ndjson().encode()
            out.write(re.sub(rb'"quantity":"([0-9.]+)"', rb'"quantity":\1', text))
            written = out.tell()
            rows += rows_per_slice
    return rows


# -- the cases, each run in a child process -----------------------------------------


def case_meterbot(path: Path, url: str | None, work: Path) -> dict[str, float]:
    from sqlmodel import Session, SQLModel

    import core.models  # noqa: F401
    from core.db import make_engine
    from core.ingest.pipeline import ingest_pass
    from core.ingest.sources import open_source
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
    source = open_source(url or str(path.parent.parent.parent), s3_client=s3)
    started = time.perf_counter()
    report = ingest_pass(
        engine, source=source, now=datetime(2026, 11, 23, tzinfo=UTC), worker="bench"
    )
    seconds = time.perf_counter() - started
    assert report.objects == 1 and not report.failed and report.rejected == 0, report.as_text()
    return {"seconds": seconds, "records": report.records}


def case_no_db(path: Path) -> dict[str, float]:
    """meterbot's reading, validation and aggregation of the object, without the database."""
    from core.ingest.formats import CHUNK_BYTES
    from core.ingest.objects import Context, read_object
    from core.ingest.records import default_fields
    from core.ingest.sources import LocalSource

    source = LocalSource(path.parent)
    [ref] = source.discover(now=datetime(2026, 11, 23, tzinfo=UTC))
    context = Context(
        dimensions={key: i for i, key in enumerate(DIMENSIONS, start=1)},
        aliases={f"acct-{i:04d}": i + 1 for i in range(CUSTOMERS)},
        fields=default_fields(),
        now=datetime(2026, 11, 23, tzinfo=UTC),
        max_age=timedelta(days=62),
    )
    started = time.perf_counter()
    result = read_object(source, ref, context, chunk_bytes=CHUNK_BYTES, quarantine_cap=10_000)
    return {"seconds": time.perf_counter() - started, "records": result.records}


def case_naive(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    totals: dict[tuple[str, str, str], float] = {}
    records = 0
    with path.open("rb") as file:
        for line in file:
            record = json.loads(line)
            key = (record["customer"], record["dimension"], record["timestamp"][:13])
            totals[key] = totals.get(key, 0.0) + record["quantity"]
            records += 1
    return {"seconds": time.perf_counter() - started, "records": records}


def case_ceiling(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    frame = pl.read_ndjson(path)
    totals = (
        frame.with_columns(hour=pl.col("timestamp").str.slice(0, 13))
        .group_by("customer", "dimension", "hour")
        .agg(pl.col("quantity").sum())
    )
    assert totals.height > 0
    return {"seconds": time.perf_counter() - started, "records": frame.height}


def child(case: str, path: Path, work: Path) -> None:
    if case == "local":
        result = case_meterbot(path, None, work)
    elif case == "s3":
        result = case_meterbot(path, "s3://bench/usage/", work)
    elif case == "no-db":
        result = case_no_db(path)
    elif case == "naive":
        result = case_naive(path)
    else:
        result = case_ceiling(path)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's
    high-water mark inherited across fork, so it is only the fallback)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent: data, S3 server, runs, table ---------------------------------------


def run_case(case: str, path: Path, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        out = subprocess.run(
            [sys.executable, __file__, "--case", case, "--path", str(path), "--work", work],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_s3(path: Path) -> tuple[object, str]:
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
    s3.upload_file(str(path), "bench", "usage/" + KEY)
    return server, url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs of the cheap cases (median)")
    parser.add_argument(
        "--big-mb", type=int, default=0, help="also: peak memory on one N MB object"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case, Path(args.path), Path(args.work))
        return
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage" / KEY
        rows = generate(path, args.mb)
        size = path.stat().st_size
        print(
            f"data: {size / 1e6:,.0f} MB, {rows:,} records, {CUSTOMERS} customers, 5 dimensions, 24 hours"
        )
        server, env["BENCH_S3"] = start_s3(path)
        results = {}
        for case, runs in (
            ("local", args.runs),
            ("s3", 1),
            ("naive", 1),
            ("ceiling", args.runs),
            ("no-db", args.runs),
        ):
            measured = [run_case(case, path, env) for _ in range(runs)]
            results[case] = {
                "seconds": statistics.median(m["seconds"] for m in measured),
                "records": measured[0]["records"],
                "peak_mb": max(m["peak_mb"] for m in measured),
                "runs": runs,
            }
        server.stop()  # type: ignore[attr-defined]
        _table(results, size)
        if args.big_mb:
            big = Path(tmp) / "big" / KEY
            path.unlink()
            generate(big, args.big_mb)
            measured = run_case("local", big, env)
            print(
                f"one {big.stat().st_size / 1e6:,.0f} MB object through (1): "
                f"{big.stat().st_size / 1e6 / measured['seconds']:,.0f} MB/s, peak {measured['peak_mb']:,.0f} MB"
            )


def _table(results: dict[str, dict[str, float]], size: int) -> None:
    names = {
        "local": "1 meterbot local -> SQLite",
        "s3": "2 meterbot S3 (moto) -> SQLite",
        "naive": "3 naive json.loads loop",
        "ceiling": "4 ceiling: Polars group_by",
        "no-db": "(1) without the database",
    }
    print(f"{'case':34} {'MB/s':>8} {'records/s':>12} {'peak MB':>9} {'runs':>5}")
    for case, result in results.items():
        rate = size / 1e6 / result["seconds"]
        per_second = result["records"] / result["seconds"]
        print(
            f"{names[case]:34} {rate:8,.0f} {per_second:12,.0f} {result['peak_mb']:9,.0f} {int(result['runs']):5}"
        )
    local = results["local"]["seconds"]
    print(
        f"(1) vs ceiling: {results['ceiling']['seconds'] / local:.0%}; "
        f"(1) vs naive: {results['naive']['seconds'] / local:.1f}x"
    )


if __name__ == "__main__":
    main()
