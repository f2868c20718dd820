"""`meterbot ingest`: one pass over METERBOT_USAGE_URL, a summary, a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from core.db import open_database
from core.ingest.synthetic import write_usage_files
from tests.ingest.conftest import DIMENSIONS, START, USAGE_IDS, make_catalog


def test_ingest_prints_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_database(url)
    make_catalog(engine, USAGE_IDS)
    engine.dispose()
    write_usage_files(
        tmp_path / "usage", usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=2
    )
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    monkeypatch.setenv("METERBOT_USAGE_URL", str(tmp_path / "usage"))
    # A pass well after the sample day: its records are old but within 62 days.
    assert main(["ingest", "--max-age-days", "3650"]) == 0
    out = capsys.readouterr()
    assert "Usage ingestion: 2 objects, 2,000 records" in out.out
    assert "0 rejected, 0 unmatched" in out.out
    assert out.err == ""  # no progress bar when stderr is not a terminal


def test_ingest_without_a_usage_url_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["ingest"]) == 1
    assert "METERBOT_USAGE_URL is not set" in capsys.readouterr().err
