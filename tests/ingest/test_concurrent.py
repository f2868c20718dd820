"""Two workers on PostgreSQL at once: every object counted by exactly one of them."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlmodel import SQLModel

from core.db import make_engine
from core.ingest.report import IngestReport
from core.ingest.synthetic import write_usage_files
from tests.ingest.conftest import (
    DIMENSIONS,
    START,
    USAGE_IDS,
    expected_totals,
    make_catalog,
    rollup_totals,
    run_pass,
)


def test_two_workers_count_each_object_once(postgres_url: str, tmp_path: Path) -> None:
    engine = make_engine(postgres_url, pool_size=4)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    try:
        catalog = make_catalog(engine, USAGE_IDS)
        paths = write_usage_files(
            tmp_path,
            usage_ids=[*USAGE_IDS, "acct-x"],
            dimensions=DIMENSIONS,
            start=START,
            hours=16,
            records_per_hour=600,
        )
        reports: dict[str, IngestReport] = {}
        barrier = threading.Barrier(2)

        def work(name: str) -> None:
            barrier.wait()
            reports[name] = run_pass(engine, tmp_path, worker=name, now=START + timedelta(hours=20))

        threads = [threading.Thread(target=work, args=(n,)) for n in ("w1", "w2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.objects for r in reports.values()) == 16
        assert all(not r.failed for r in reports.values())
        assert sum(r.records for r in reports.values()) == 16 * 600
        assert rollup_totals(engine) == expected_totals(paths, catalog)
    finally:
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
