"""One ingestion pass: discover, claim, read, and commit each object exactly once.

A pass first moves unmatched usage that can now be mapped, then lists the source,
sets aside the versions already settled (one query), and hands the rest to the
PassRunner (worker.py). For each object: claim it (its own short transaction),
read and aggregate it with no transaction open, then one transaction (commit.py)
marks it done with the claim's token, merges its aggregates into the rollups and
unmatched usage, and stores its quarantined lines. A failure anywhere before that
commit leaves nothing counted: the object is marked failed and retried next pass;
if the worker dies instead, its lease runs out and another pass takes the object over.

The reading machinery (Polars) is loaded only when something is left to read: a
pass run every minute from cron mostly finds nothing new, and starts a quarter of
a second sooner without it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import Engine

from core.db import session_scope
from core.ingest.claim_sql import settled_pairs
from core.ingest.claims import DEFAULT_LEASE
from core.ingest.context import Progress, load_context
from core.ingest.read.records import CHUNK_BYTES, DEFAULT_MAX_AGE
from core.ingest.report import SHOWN, IngestReport
from core.ingest.sources.base import UsageSource
from core.ingest.unmatched import resolve_unmatched

QUARANTINE_CAP = 10_000  # lines kept with their text per object; every one is counted


def ingest_pass(
    engine: Engine,
    *,
    source: UsageSource,
    now: datetime,
    worker: str,
    progress: Progress | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    lease: timedelta = DEFAULT_LEASE,
    chunk_bytes: int = CHUNK_BYTES,
    quarantine_cap: int = QUARANTINE_CAP,
    late_usage: str = "carry",
) -> IngestReport:
    """Ingest every new object of `source`; what happened, for people to read."""
    started = time.monotonic()
    report = IngestReport(source=source.name)
    with session_scope(engine) as session:
        report.resolved = resolve_unmatched(session, now=now)
    refs = list(source.discover(now=now))
    report.full_listing = bool(getattr(source, "full_listing", False))
    with session_scope(engine) as session:
        settled = settled_pairs(session, source=source.name, keys=[r.key for r in refs])
    fresh = [ref for ref in refs if (ref.key, ref.etag) not in settled]
    if fresh:
        from core.ingest.worker import PassRunner, PassSettings

        with session_scope(engine) as session:
            context = load_context(session, now=now, max_age=max_age)
        settings = PassSettings(worker, lease, chunk_bytes, quarantine_cap, progress)
        PassRunner(engine, source, context, report, settings).run(fresh)
    if report.late:
        with session_scope(engine) as session:
            report.late_lines = report.late.lines(session, mode=late_usage, limit=SHOWN)
    report.seconds = time.monotonic() - started
    return report
