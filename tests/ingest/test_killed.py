"""A pass killed (SIGKILL) at any moment: every batch of objects committed whole or not
at all, and the next pass, once the dead pass's leases run out, counts the rest exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.models import IngestedObject
from tests.ingest.conftest import NOW, USAGE_IDS, expected_totals, rollup_totals, run_pass

_PASS = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from core.db import make_engine
    from core.ingest.pipeline import ingest_pass
    from core.ingest.sources.open import open_source
    from tests.ingest.conftest import NOW
    engine = make_engine(sys.argv[1])
    print("started", flush=True)
    ingest_pass(engine, source=open_source(sys.argv[2], s3_client=None), now=NOW,
                worker="doomed", lease=timedelta(seconds=30))
    """
)


_OBJECTS = 10_000


def _small_objects(usage: Path, count: int) -> list[Path]:
    """`count` objects of one customer-hour each (a few lines), the shape that batches."""
    paths = []
    for n in range(count):
        usage_id = USAGE_IDS[n % len(USAGE_IDS)]
        lines = "".join(
            f'{{"timestamp": "2026-11-22T0{n % 5}:{m:02d}:00Z", "customer": "{usage_id}", '
            f'"dimension": "users", "quantity": {n}.{m}}}\n'
            for m in range(5)
        )
        path = usage / f"2026/11/22/0{n % 5}/{usage_id}-{n:04d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lines)
        paths.append(path)
    return paths


def _done(engine: Engine) -> int:
    with Session(engine) as session:
        return len(
            session.exec(select(IngestedObject.id).where(IngestedObject.status == "done")).all()
        )


# Killed once the first batch is committed, then a little later: bundles read, claimed,
# being committed. Ten thousand objects keep the pass busy well past the last kill: a
# pass over 3,000 took 0.9 s here, its first commit at 0.15 s, so a loaded machine
# could see it end before the kill.
@pytest.mark.parametrize("after", [0.0, 0.1, 0.4])
def test_a_pass_killed_midway_counts_every_object_once(
    engine: Engine, catalog, usage: Path, database_url: str, after: float
) -> None:
    paths = _small_objects(usage, _OBJECTS)
    doomed = subprocess.Popen(
        [sys.executable, "-c", _PASS, database_url, str(usage)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert doomed.stdout is not None and doomed.stdout.readline().strip() == b"started"
    deadline = time.monotonic() + 120
    while not _done(engine) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(after)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    counted_by_dead = _done(engine)
    assert 0 < counted_by_dead < _OBJECTS  # killed midway
    report = run_pass(engine, usage, now=NOW + timedelta(minutes=1))
    assert counted_by_dead + report.objects == _OBJECTS and report.failed == []
    assert rollup_totals(engine) == expected_totals(paths, catalog)
