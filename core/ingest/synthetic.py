"""Realistic sample usage files, deterministic for a seed: the demo's data and the benchmark's.

Each hour gets one file (`YYYY/MM/DD/HH/usage-0000.jsonl`, the date layout S3
discovery expects) of records in the documented format plus two extra fields a
real product would write (host and region). Quantities are decimal text with up
to three places; gauges (storage) stay near a per-customer level, counters vary.
"""

from __future__ import annotations

import csv
import gzip as gzip_module
import io
import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")


def write_usage_files(
    folder: Path,
    *,
    usage_ids: Sequence[str],
    dimensions: Sequence[str],
    start: datetime,
    hours: int,
    records_per_hour: int = 1000,
    seed: int = 0,
    fmt: str = "jsonl",
    gzip: bool = False,
) -> list[Path]:
    """Write one usage file per hour under `folder`; the paths written."""
    rng = random.Random(seed)
    levels = {(u, d): rng.uniform(0.5, 50) for u in usage_ids for d in dimensions}
    paths = []
    for hour in range(hours):
        moment = start + timedelta(hours=hour)
        records = [
            _record(rng, moment, usage_ids, dimensions, levels) for _ in range(records_per_hour)
        ]
        records.sort(key=lambda r: r["timestamp"])
        name = f"{moment:%Y/%m/%d/%H}/usage-0000.{fmt}" + (".gz" if gzip else "")
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _encode(records, fmt)
        path.write_bytes(gzip_module.compress(data, mtime=0) if gzip else data)
        paths.append(path)
    return paths


def _record(
    rng: random.Random,
    hour: datetime,
    usage_ids: Sequence[str],
    dimensions: Sequence[str],
    levels: dict[tuple[str, str], float],
) -> dict[str, str]:
    usage_id = usage_ids[min(int(rng.paretovariate(1.2)) - 1, len(usage_ids) - 1)]
    usage_id = rng.choice(usage_ids) if rng.random() < 0.6 else usage_id
    dimension = rng.choice(dimensions)
    moment = hour + timedelta(milliseconds=rng.randrange(3_600_000))
    level = levels[(usage_id, dimension)] * rng.uniform(0.9, 1.1)
    return {
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "customer": usage_id,
        "dimension": dimension,
        "quantity": f"{level:.3f}",
        "host": f"node-{rng.randrange(64):02d}",
        "region": rng.choice(_REGIONS),
    }


def _encode(records: list[dict[str, str]], fmt: str) -> bytes:
    if fmt == "jsonl":
        # Quantities as JSON numbers, the way products usually write them.
        lines = (json.dumps(r).replace(f'"{r["quantity"]}"', r["quantity"]) for r in records)
        return ("\n".join(lines) + "\n").encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue().encode()
    if fmt == "parquet":
        out_bytes = io.BytesIO()
        pl.DataFrame(records).write_parquet(out_bytes)
        return out_bytes.getvalue()
    raise ValueError(f"unknown format {fmt!r} (jsonl, csv or parquet)")
