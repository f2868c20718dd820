"""Ingestion benchmark: meterbot end to end, in three shapes, on SQLite and PostgreSQL.

    python bench/ingest.py [--mb 300] [--runs 3] [--big-mb 0] [--shapes hourly,spanning,small]

Generates realistic usage: JSON Lines in the record format plus host and region,
500 customers, five dimensions, a day of hours, about --mb MB, laid out in three
shapes a product writes:

  hourly    24 objects, one per hour (`2026/11/22/HH/usage-0000.jsonl`), time order
  spanning  24 objects, each with records from the whole day (60 k groups each)
  small     12,000 objects, one customer-hour each (about 23 KB at 300 MB)

Each shape runs through meterbot (local folder -> SQLite, local folder ->
PostgreSQL; the small shape also through S3: moto's threaded server on loopback, and
a bucket that answers at once (QuickS3: no stand-in's own cost a request, so what is
left is meterbot's side of S3), each with small GETs through the CRT as `meterbot
ingest` makes them, and on SQLite once more with every GET through botocore, the
baseline) beside the ceiling: Polars reads the same files in one call and groups by
customer, dimension, hour (no checks, no exact decimals, no database). Every case
runs in its own process, in rounds of one run of every case (a slow spell of the
machine falls on all cases alike); seconds are medians, MB/s is the pass as
`ingest_pass` times it, "ceiling" the median over rounds of the ceiling's time over
the case's, CPU the process's CPU seconds over the pass (every thread), peak memory
the process's high-water mark (VmHWM). The small shape adds meterbot's own CPU per
GET (an S3 case's CPU against the folder's). Then: a pass with nothing new over the
small shape, `meterbot --help`, and two `meterbot ingest` processes on PostgreSQL
over the small shape at once against one alone. --big-mb N also ingests one N MB
object into SQLite and reports its peak memory.

PostgreSQL comes from METERBOT_BENCH_POSTGRES_URL, else the local server
(postgresql+psycopg://postgres@127.0.0.1:5432/test) when it answers; each run gets
a scratch database of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
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
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CUSTOMERS = 500
DIMENSIONS = ["storage_tb", "api_calls", "cpu_hours", "users", "egress_gb"]
REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]
DAY = datetime(2026, 11, 22, tzinfo=UTC)
NOW = datetime(2026, 11, 23, tzinfo=UTC)
RECORD_BYTES = 143  # about, for sizing
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHAPES = ("hourly", "spanning", "small")


# -- data -------------------------------------------------------------------------


def generate(root: Path, megabytes: int, shape: str) -> int:
    """About `megabytes` MB of records in `shape` (or "single": one object); records."""
    per_hour = megabytes * 1_000_000 // RECORD_BYTES // 24
    if shape == "hourly":
        for hour in range(24):
            _write(root / f"2026/11/22/{hour:02d}/usage-0000.jsonl", _hour_frame(hour, per_hour))
        return per_hour * 24
    day = pl.concat([_hour_frame(hour, per_hour) for hour in range(24)])
    if shape == "single":
        _write(root / "2026/11/22/usage-day.jsonl", day)
    elif shape == "spanning":  # every object holds records from every hour, in time order
        parts = day.with_row_index("n").with_columns(part=pl.col("n") % 24)
        for (part,), frame in parts.partition_by("part", as_dict=True).items():
            _write(root / f"2026/11/22/part-{part:02d}.jsonl", frame)
    else:  # small: one object per customer and hour
        keyed = day.with_columns(hour=pl.col("timestamp").str.slice(11, 2))
        for (hour, customer), frame in keyed.partition_by("hour", "customer", as_dict=True).items():
            _write(root / f"2026/11/22/{hour}/{customer}.jsonl", frame)
    return day.height


def _write(path: Path, frame: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frame.select("timestamp", "customer", "dimension", "quantity", "host", "region")
    text = frame.write_ndjson().encode()
    path.write_bytes(re.sub(rb'"quantity":"([0-9.]+)"', rb'"quantity":\1', text))


def _hour_frame(hour: int, rows: int) -> pl.DataFrame:
    """One hour of records in time order, quantities with three decimals."""
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
    return frame.sort("at").select(
        pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").alias("timestamp"),
        "customer",
        "dimension",
        "quantity",
        "host",
        "region",
    )


def files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


# -- the cases, each run in a child process -----------------------------------------


def _source(url: str, endpoint: str | None) -> object:
    """The source `meterbot ingest` opens: the folder, or the S3 prefix on the stand-in's
    endpoint with the clients the composition root builds (small GETs through the CRT
    unless BENCH_GETS=botocore)."""
    if endpoint is None:
        return _open_source(url)
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    crt = os.environ.get("BENCH_GETS") != "botocore"
    try:
        from bot.app import s3_client, s3_getter, s3_session
    except ImportError:
        return _older_s3_source(url, crt)
    session = s3_session()
    s3 = s3_client("us-east-1", session)
    return _open_source(url, s3_client=s3, s3_getter=s3_getter(s3, session) if crt else None)


def _older_s3_source(url: str, crt: bool) -> object:
    """An older checkout's S3 source (a baseline): its client settings, and its CRT
    getter where it has one."""
    import boto3

    try:
        from bot.app import s3_config

        config = s3_config()
    except ImportError:
        from bot.app import AWS_CONFIG as config  # type: ignore[attr-defined,no-redef]
    s3 = boto3.client("s3", region_name="us-east-1", config=config)
    try:
        from bot.app import s3_getter
    except ImportError:  # botocore makes every GET
        return _open_source(url, s3_client=s3)
    getter = s3_getter(s3) if crt else None  # type: ignore[call-arg]
    return _open_source(url, s3_client=s3, s3_getter=getter)


def _open_source(url: str, **clients: object) -> object:
    try:
        from core.ingest.sources.open import open_source
    except ImportError:  # the code before sources/open.py
        from core.ingest.sources.base import open_source  # type: ignore[attr-defined,no-redef]
    return open_source(url, **{"s3_client": None, **clients})  # type: ignore[arg-type]


def prepare(database: str) -> None:
    """The schema and the catalog: five dimensions, CUSTOMERS customers."""
    from sqlmodel import Session

    from core.db import open_database
    from core.models import Customer, CustomerAlias, Dimension, Product

    engine = open_database(database)
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
    engine.dispose()


def case_meterbot(root: Path, database: str, s3_url: str | None) -> dict[str, float]:
    from core.db import make_engine
    from core.ingest.pipeline import ingest_pass

    # A pass imports its reading machinery (Polars, NumPy) when it first has something
    # to read: loaded before the clock starts, as in a worker process after its first
    # pass (the process figures time the whole process, imports included).
    importlib.import_module("core.ingest.worker")

    engine = make_engine(database)
    source = _source(s3_url or str(root), os.environ["BENCH_S3"] if s3_url else None)
    worker = os.environ.get("BENCH_WORKER", "bench")
    cpu = time.process_time()  # every thread of the process: readers, fetches, commits
    report = ingest_pass(engine, source=source, now=NOW, worker=worker)  # type: ignore[arg-type]
    cpu = time.process_time() - cpu
    assert not report.failed and report.rejected == 0 and report.unmatched == 0, report.as_text()
    return {
        "seconds": report.seconds,
        "records": report.records,
        "objects": report.objects,
        "cpu": cpu,
    }


def case_ceiling(root: Path) -> dict[str, float]:
    cpu = time.process_time()
    started = time.perf_counter()
    frame = pl.read_ndjson([str(path) for path in files(root)])
    totals = (
        frame.with_columns(hour=pl.col("timestamp").str.slice(0, 13))
        .group_by("customer", "dimension", "hour")
        .agg(pl.col("quantity").sum())
    )
    assert totals.height > 0
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "records": frame.height, "cpu": time.process_time() - cpu}


def child(args: argparse.Namespace) -> None:
    root = Path(args.root)
    if args.case == "ceiling":
        result = case_ceiling(root)
    elif args.case == "getrate":
        print(json.dumps(case_get_rate(args.s3_url)))
        return
    else:
        result = case_meterbot(root, args.database, args.s3_url)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's
    high-water mark inherited across fork, so it is only the fallback)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- databases ----------------------------------------------------------------------


def postgres_server() -> str | None:
    """METERBOT_BENCH_POSTGRES_URL, or the local server when it answers."""
    url = os.environ.get("METERBOT_BENCH_POSTGRES_URL") or LOCAL_PG
    from sqlalchemy import create_engine, text

    try:
        with create_engine(url, connect_args={"connect_timeout": 3}).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return None
    return url


@contextmanager
def scratch_database(kind: str, server: str | None, work: Path) -> Iterator[str]:
    """A new, empty database with the catalog, dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{work / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        prepare(url)
        yield url
        return
    from sqlalchemy import create_engine, text

    assert server is not None
    name = f"bench_ingest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        prepare(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# -- the parent: data, S3 server, runs, tables --------------------------------------


def run_child(
    case: str, root: Path, database: str = "", s3_url: str = "", **env: str
) -> dict[str, float]:
    """One case in a process of its own; `env`: BENCH_S3 (the endpoint), BENCH_GETS."""
    command = [sys.executable, __file__, "--case", case, "--root", str(root)]
    command += ["--database", database, "--s3-url", s3_url]
    out = subprocess.run(command, capture_output=True, text=True, env=_env() | env)
    if out.returncode:
        raise SystemExit(f"{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _env() -> dict[str, str]:
    """Children use the code next to this file (a baseline checkout included)."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


Case = Callable[[], dict[str, float]]  # one run of a case: its figures


def in_rounds(runs: int, cases: dict[str, Case]) -> dict[str, dict[str, float]]:
    """Each case run `runs` times, a round of every case at a time, so a slow spell of a
    shared machine falls on all of them alike. Per case: the median seconds, the peak
    memory, and the median over rounds of the first case's seconds over its own (its
    share of the ceiling, both measured in the same round); CPU seconds, median."""
    rounds = [{name: once() for name, once in cases.items()} for _ in range(runs)]
    first = next(iter(cases))
    return {
        name: {
            "seconds": statistics.median(r[name]["seconds"] for r in rounds),
            "records": rounds[0][name]["records"],
            "peak_mb": max(r[name]["peak_mb"] for r in rounds),
            "cpu": statistics.median(r[name]["cpu"] for r in rounds),
            "share": statistics.median(r[first]["seconds"] / r[name]["seconds"] for r in rounds),
            "runs": runs,
        }
        for name in cases
    }


def meterbot_once(
    root: Path, kind: str, server: str | None, work: Path, s3: str = "", **env: str
) -> Case:
    def once() -> dict[str, float]:
        with scratch_database(kind, server, work) as url:
            return run_child("meterbot", root, url, s3, **env)

    return once


def start_s3(root: Path, bucket: str) -> tuple[object, str]:
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
    s3.create_bucket(Bucket=bucket)
    for path in files(root):
        s3.put_object(
            Bucket=bucket, Key="usage/" + path.relative_to(root).as_posix(), Body=path.read_bytes()
        )
    return server, url


class QuickS3:
    """The shape's files as an S3 bucket that answers at once (asyncio in a thread of
    the parent, which is otherwise idle; connections kept open): no stand-in's own cost
    a request, so a pass through it shows what meterbot's side of S3 costs. It lists
    (ListObjectsV2: prefix, delimiter, pages), answers a HEAD with the bucket's region
    and a GET with the file (in a Range, as the CRT asks); If-Match is not checked, and
    every ETag is "0"."""

    def __init__(self, root: Path) -> None:
        import asyncio

        self.root = root
        self.sizes = {
            "usage/" + p.relative_to(root).as_posix(): p.stat().st_size for p in files(root)
        }
        self.keys = sorted(self.sizes)
        self.loop = asyncio.new_event_loop()
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512)
        )
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _serve(self, reader: Any, writer: Any) -> None:
        import asyncio

        try:
            while True:
                lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
                method, target = lines[0].split(" ")[:2]
                path, _, query = target.partition("?")
                key = unquote(path).split("/", 2)[2] if path.count("/") > 1 else ""
                if method == "HEAD":  # where is the bucket? (S3Getter asks once)
                    status, headers, body = "200 OK", "x-amz-bucket-region: us-east-1\r\n", b""
                elif not key:
                    status, headers, body = "200 OK", "", self._list(parse_qs(query))
                else:
                    body = (self.root / key.removeprefix("usage/")).read_bytes()
                    ranged = any(line.lower().startswith("range:") for line in lines)
                    status = "206 Partial Content" if ranged else "200 OK"
                    span = f"Content-Range: bytes 0-{len(body) - 1}/{len(body)}\r\n"
                    headers = (span if ranged else "") + 'ETag: "0"\r\n'
                head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()  # the client is done with the connection

    def _list(self, query: dict[str, list[str]]) -> bytes:
        from xml.sax.saxutils import escape

        prefix = query.get("prefix", [""])[0]
        after = query.get("continuation-token", [""])[0]
        most = int(query.get("max-keys", ["1000"])[0])
        keys = [k for k in self.keys if k.startswith(prefix) and k > after]
        folders: list[str] = []
        if query.get("delimiter"):  # the first level below the prefix, as folders
            folders = sorted({prefix + k[len(prefix) :].split("/")[0] + "/" for k in keys})
            keys = []
        keys = keys[:most]
        more = len(keys) == most and keys[-1] != self.keys[-1]
        listed = "".join(
            f"<Contents><Key>{escape(k)}</Key><LastModified>2026-11-23T00:00:00.000Z"
            f'</LastModified><ETag>"0"</ETag><Size>{self.sizes[k]}</Size></Contents>'
            for k in keys
        ) + "".join(
            f"<CommonPrefixes><Prefix>{escape(f)}</Prefix></CommonPrefixes>" for f in folders
        )
        token = f"<NextContinuationToken>{escape(keys[-1])}</NextContinuationToken>" if more else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bench</Name>'
            f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(keys)}</KeyCount>"
            f"<IsTruncated>{str(more).lower()}</IsTruncated>{token}{listed}</ListBucketResult>"
        ).encode()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


def s3_get_rate(root: Path) -> float:
    """GETs a second the S3 stand-in itself serves with as many in flight as meterbot
    keeps (64): the floor under the S3 cases. The GETs come from a process of their
    own, as meterbot's do, so the stand-in's process has its CPU to itself."""
    return run_child("getrate", root, s3_url=os.environ["BENCH_S3"])["rate"]


def case_get_rate(url: str, bucket: str = "bench", sample: int = 2000) -> dict[str, float]:
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3", region_name="us-east-1", endpoint_url=url, config=Config(max_pool_connections=64)
    )
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ][:sample]
    started = time.perf_counter()
    with ThreadPoolExecutor(64) as pool:
        list(pool.map(lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), keys))
    return {"rate": len(keys) / (time.perf_counter() - started)}


def row(name: str, result: dict[str, float], size: int) -> str:
    rate = size / 1e6 / result["seconds"]
    return (
        f"{name:38} {result['seconds']:8.2f} {rate:8,.0f} {result['share']:8.0%} "
        f"{result['cpu']:8.1f} {result['peak_mb']:8,.0f} {int(result['runs']):5}"
    )


def shape_table(shape: str, root: Path, server: str | None, work: Path, runs: int) -> None:
    size = sum(p.stat().st_size for p in files(root))
    count = len(files(root))
    cases = {
        "ceiling: Polars read + group_by": lambda: run_child("ceiling", root),
        "meterbot -> SQLite": meterbot_once(root, "sqlite", None, work),
    }
    if server:
        cases["meterbot -> PostgreSQL"] = meterbot_once(root, "postgresql", server, work)
    if shape == "small":  # through moto's S3, and through a bucket answering at once
        s3_server, os.environ["BENCH_S3"] = start_s3(root, "bench")
        quick = QuickS3(root)
        url = "s3://bench/usage/"
        for where, endpoint in (("moto", ""), ("at once", quick.url)):
            at = {"BENCH_S3": endpoint} if endpoint else {}
            cases[f"meterbot -> S3 ({where}) -> SQLite"] = meterbot_once(
                root, "sqlite", None, work, url, **at
            )
            cases[f"  S3 ({where}), GETs by botocore"] = meterbot_once(
                root, "sqlite", None, work, url, BENCH_GETS="botocore", **at
            )
            if server:
                cases[f"meterbot -> S3 ({where}) -> PostgreSQL"] = meterbot_once(
                    root, "postgresql", server, work, url, **at
                )
    results = in_rounds(runs, cases)
    if shape == "small":
        stand_in = s3_get_rate(root)
        s3_server.stop()  # type: ignore[attr-defined]
        quick.stop()
    records = next(iter(results.values()))["records"]
    print(f"\n{shape}: {count:,} objects, {size / 1e6:,.0f} MB, {records:,} records")
    print(
        f"{'case':38} {'seconds':>8} {'MB/s':>8} {'ceiling':>8} {'CPU s':>8} {'peak MB':>8} "
        f"{'runs':>5}"
    )
    for name, result in results.items():
        print(row(name, result, size))
    if shape == "small":
        print(
            f"the S3 stand-in alone (moto, 64 GETs in flight): {stand_in:,.0f} GETs/s, so "
            f"{count:,} GETs take about {count / stand_in:,.0f} s there; AWS answers a GET "
            "in 10-50 ms per connection, and meterbot keeps up to 64 in flight"
        )
        print(get_cost(results, count))


def get_cost(results: dict[str, dict[str, float]], count: int) -> str:
    """meterbot's own CPU for a GET: an S3 case's CPU seconds less the local folder's,
    per object; small GETs through the CRT, and every GET through botocore. botocore's
    work for a request holds the GIL: at C ms a GET, at most 1000 / C GETs a second."""
    local = results["meterbot -> SQLite"]["cpu"]

    def per_get(name: str) -> float:
        return (results[name]["cpu"] - local) / count * 1000

    each = "; ".join(
        f"{where}: {per_get(f'meterbot -> S3 ({where}) -> SQLite'):.2f} ms through the CRT, "
        f"{per_get(f'  S3 ({where}), GETs by botocore'):.2f} through botocore"
        for where in ("moto", "at once")
    )
    return f"meterbot's own CPU a GET (an S3 case's CPU less the folder's, SQLite), {each}"


def _cli(*args: str, database: str, usage: Path) -> float:
    """Seconds for one `meterbot` process (the code next to this file), start to exit."""
    env = _env() | {"METERBOT_DATABASE_URL": database, "METERBOT_USAGE_URL": str(usage)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def process_figures(root: Path, server: str | None, work: Path, runs: int) -> None:
    """`--help`, a first pass and a pass with nothing new (each the whole `meterbot
    ingest` process), and two processes on PostgreSQL at once.

    The code is byte-compiled first, as an installed package is (a checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module in every process).
    These passes run on the real clock, so the day of usage is older than Marketplace
    takes: every hour of it is noted as late usage, as when a backlog is caught up."""
    for package in ("bot", "core", "scheduler"):
        compileall.compile_dir(ROOT / package, quiet=1)
    help_s = statistics.median(_cli("--help", database="", usage=root) for _ in range(runs))
    print(f"\nmeterbot --help: {help_s:.2f} s (median of {runs}, whole process)")
    for kind in ("sqlite", "postgresql") if server else ("sqlite",):
        first, again = [], []
        for _ in range(runs):  # each run: a new database, its first pass, then one more
            with scratch_database(kind, server, work) as url:
                first.append(_cli("ingest", "--max-age-days", "3650", database=url, usage=root))
                again.append(_cli("ingest", "--max-age-days", "3650", database=url, usage=root))
        print(
            f"{len(files(root)):,} objects, {kind}, whole `meterbot ingest` process: first "
            f"pass (all of it late usage) {statistics.median(first):.2f} s, a pass with "
            f"nothing new {statistics.median(again):.2f} s (medians of {runs})"
        )
    if server:
        two_processes(root, server, work, runs)


def two_processes(root: Path, server: str, work: Path, runs: int) -> None:
    """Two ingesting processes on one PostgreSQL database against one alone, each the
    whole process (start-up included), on the pass's clock like the cases above; in
    rounds of one of each, as the cases are, and every round's count checked."""
    command = [sys.executable, __file__, "--case", "meterbot", "--root", str(root)]

    def ingest(workers: int) -> tuple[float, list[float], int]:
        with scratch_database("postgresql", server, work) as url:
            started = time.perf_counter()
            procs = [
                subprocess.Popen(
                    [*command, "--database", url, "--s3-url", ""],
                    env=_env() | {"BENCH_WORKER": f"w{n}"},
                    stdout=subprocess.PIPE,
                )
                for n in range(workers)
            ]
            outs = [json.loads(p.communicate()[0].decode().splitlines()[-1]) for p in procs]
            seconds = time.perf_counter() - started
            done, records = _counted(url)
        if done != len(files(root)) or sum(out["objects"] for out in outs) != done:
            raise SystemExit(f"{workers} processes: {done:,} objects done, counted {outs}")
        return seconds, [out["objects"] for out in outs], records

    rounds = [(ingest(1), ingest(2)) for _ in range(runs)]
    if any(two[2] != one[2] for one, two in rounds):
        raise SystemExit(f"records in rollups, one / two processes: {rounds}")
    alone = statistics.median(one[0] for one, _ in rounds)
    both = statistics.median(two[0] for _, two in rounds)
    ratio = statistics.median(two[0] / one[0] for one, two in rounds)
    each = "; ".join(
        f"{one[0]:.1f} / {two[0]:.1f} s, {' + '.join(f'{n:,.0f}' for n in two[1])}"
        for one, two in rounds
    )
    print(
        f"two ingesting processes on PostgreSQL over {len(files(root)):,} objects: "
        f"{both:.1f} s against one alone {alone:.1f} s (medians of {runs}; two over one, "
        f"median of rounds: {ratio:.2f}), every object and record counted once in every "
        f"round; per round, one / two and the objects each of the two counted: {each}"
    )


def _counted(url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        done = conn.execute(text("SELECT count(*) FROM ingestedobject WHERE status = 'done'"))
        records = conn.execute(text("SELECT coalesce(sum(count), 0) FROM hourlyrollup"))
        result = (int(done.scalar_one()), int(records.scalar_one()))
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median)")
    parser.add_argument("--big-mb", type=int, default=0, help="also: one N MB object")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--no-processes", action="store_true", help="skip --help, nothing new, two")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--s3-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args)
        return
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    server = postgres_server()
    print(
        f"{args.mb} MB a shape, {CUSTOMERS} customers, {len(DIMENSIONS)} dimensions, 24 hours; "
        f"{os.cpu_count()} CPUs; PostgreSQL: {'yes' if server else 'not reachable, skipped'}; "
        f"code: {ROOT}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for shape in args.shapes.split(","):
            generate(work / shape, args.mb, shape)
            shape_table(shape, work / shape, server, work, args.runs)
        if not args.no_processes:
            if not (work / "small").exists():
                generate(work / "small", args.mb, "small")
            process_figures(work / "small", server, work, args.runs)
        if args.big_mb:
            big = work / "big"
            generate(big, args.big_mb, "single")
            with scratch_database("sqlite", None, work) as url:
                measured = run_child("meterbot", big, url)
            mb = sum(p.stat().st_size for p in files(big)) / 1e6
            print(
                f"\none {mb:,.0f} MB object -> SQLite: {mb / measured['seconds']:,.0f} MB/s, "
                f"peak memory {measured['peak_mb']:,.0f} MB"
            )


if __name__ == "__main__":
    main()
