"""One ingestion pass: discover, claim, read, and commit each object exactly once.

A pass first moves unmatched usage that can now be mapped, then lists the
source and hands the objects to the PassRunner (worker.py). For each object:
claim it (its own short transaction), read and aggregate it with no transaction
open, then one transaction (commit.py) marks it done with the claim's token,
merges its aggregates into the rollups and unmatched usage, and stores its
quarantined lines. A failure anywhere before that commit leaves nothing counted:
the object is marked failed and retried next pass; if the worker dies instead,
its lease runs out and another pass takes the object over.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from core.customers.lookup import alias_map
from core.db import session_scope
from core.ingest.claims import DEFAULT_LEASE
from core.ingest.objects import Context, Progress
from core.ingest.read.formats import CHUNK_BYTES
from core.ingest.read.records import FIELDS, default_fields
from core.ingest.read.validate import DEFAULT_MAX_AGE
from core.ingest.report import SHOWN, IngestReport
from core.ingest.sources.base import UsageSource
from core.ingest.unmatched import resolve_unmatched
from core.ingest.usage_ids import several_ids
from core.ingest.worker import PassRunner, PassSettings
from core.models import Dimension, FieldMapping

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
        context = load_context(session, now=now, max_age=max_age)
    refs = list(source.discover(now=now))
    report.full_listing = bool(getattr(source, "full_listing", False))
    settings = PassSettings(worker, lease, chunk_bytes, quarantine_cap, progress)
    PassRunner(engine, source, context, report, settings).run(refs)
    if report.late:
        with session_scope(engine) as session:
            report.late_lines = report.late.lines(session, mode=late_usage, limit=SHOWN)
    report.seconds = time.monotonic() - started
    return report


def load_context(session: Session, *, now: datetime, max_age: timedelta) -> Context:
    # Lowest id wins if two products share a dimension key.
    rows = session.execute(
        select(col(Dimension.key), col(Dimension.id)).order_by(col(Dimension.id).desc())
    )
    mapping = session.execute(
        select(FieldMapping).where(col(FieldMapping.name) == "default")
    ).scalar_one_or_none()
    fields = default_fields()
    if mapping is not None:
        fields |= {name: value for name, value in mapping.fields.items() if name in FIELDS}
    aliases = alias_map(session)
    dimensions = {key: dim_id for key, dim_id in rows}
    return Context(dimensions, aliases, fields, now, max_age, several_ids(aliases))
