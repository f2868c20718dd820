"""An object that cannot be read is parked after the same error three times, reported
once and left alone until taken up again; passing trouble is retried with a pause."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.cli import main
from core.db import open_database
from core.errors import ExternalServiceError
from core.ingest.failures import NextStep, is_passing, next_step
from core.ingest.pipeline import ingest_pass
from core.ingest.sources.open import open_source
from core.models import IngestedObject
from core.reports.status import collect_status
from tests.ingest.conftest import NOW, USAGE_IDS, make_catalog, rollup_totals, run_pass

LINE = b'{"timestamp": "2026-11-22T00:30:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 4}\n'  # noqa: E501
DAMAGED = gzip.compress(LINE * 50)[:-40]  # cut short: gzip cannot finish it, ever


def _stored(engine: Engine) -> IngestedObject:
    with Session(engine) as session:
        return session.exec(select(IngestedObject)).one()


def test_the_same_error_three_times_parks_the_object_reported_once(
    engine: Engine, catalog, usage: Path
) -> None:
    (usage / "cut.jsonl.gz").write_bytes(DAMAGED)
    first = run_pass(engine, usage)
    second = run_pass(engine, usage, now=NOW + timedelta(minutes=1))
    assert [key for key, _ in first.failed] == [key for key, _ in second.failed] == ["cut.jsonl.gz"]
    third = run_pass(engine, usage, now=NOW + timedelta(minutes=3))
    assert third.failed == [] and [key for key, _ in third.unreadable] == ["cut.jsonl.gz"]
    assert "EOFError" in third.unreadable[0][1]
    assert "unreadable, parked after 3 failures: cut.jsonl.gz" in third.as_text()
    assert "--retry cut.jsonl.gz" in third.as_text()
    later = run_pass(engine, usage, now=NOW + timedelta(hours=5))
    assert (later.failed, later.unreadable, later.objects) == ([], [], 0)
    stored = _stored(engine)
    assert (stored.status, stored.attempts) == ("unreadable", 3)
    with Session(engine) as session:
        problems = collect_status(session, now=NOW + timedelta(hours=5)).problems()
    assert any("1 usage file(s) parked as unreadable" in p for p in problems)


def test_only_the_same_error_in_a_row_parks() -> None:
    def after(error: str, previous: str | None, failures: int, passing: bool = False):
        return next_step(
            error=error,
            passing=passing,
            previous_error=previous,
            previous_failures=failures,
            now=NOW,
        )

    assert after("EOFError: cut", "EOFError: cut", 2).status == "unreadable"
    assert after("EOFError: cut", "OSError: gone", 2) == NextStep("failed", 1, NOW)
    assert after("ExternalServiceError: 503", "ExternalServiceError: 503", 9, passing=True) == (
        NextStep("failed", 10, NOW + timedelta(hours=1))
    )
    assert after("EOFError: cut", "EOFError: cut", 1).retry_after == NOW + timedelta(minutes=1)


def test_retry_takes_a_parked_object_up_again_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_database(url)
    make_catalog(engine, USAGE_IDS)
    (tmp_path / "usage").mkdir()
    (tmp_path / "usage" / "cut.jsonl.gz").write_bytes(DAMAGED)
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    monkeypatch.setenv("METERBOT_USAGE_URL", str(tmp_path / "usage"))
    for minutes in (0, 1, 3):
        run_pass(engine, tmp_path / "usage", now=NOW + timedelta(minutes=minutes))
    assert _stored(engine).status == "unreadable"
    capsys.readouterr()
    assert main(["ingest", "--max-age-days", "3650"]) == 0  # parked: left alone
    out = capsys.readouterr()
    assert "0 objects" in out.out and "Traceback" not in out.err
    assert main(["ingest", "--retry", "nope.jsonl", "--max-age-days", "3650"]) == 1
    assert "no unreadable or failed object nope.jsonl" in capsys.readouterr().err
    # It fails again: done, with an object that needs attention (exit 3).
    assert main(["ingest", "--retry", "cut.jsonl.gz", "--max-age-days", "3650"]) == 3
    out = capsys.readouterr()
    assert "taking up 1 parked or failed objects again" in out.out
    assert "failed cut.jsonl.gz: EOFError" in out.out and "Traceback" not in out.err
    stored = _stored(engine)
    assert (stored.status, stored.attempts, stored.failures) == ("failed", 4, 1)
    soon = datetime.now(UTC)  # after the CLI's own pass, which runs at the real time
    for minutes in (1, 3):
        run_pass(engine, tmp_path / "usage", now=soon + timedelta(minutes=minutes))
    assert _stored(engine).status == "unreadable"
    assert main(["ingest", "--retry-unreadable", "--max-age-days", "3650"]) == 3
    assert _stored(engine).attempts == 7
    engine.dispose()


@pytest.fixture
def failing_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[bool]]]:
    """moto's S3, whose GetObject answers 503 while the switch is on (botocore's own hook)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    down = [True]

    def unavailable(request: Any, **_: Any) -> AWSResponse | None:
        if not down[0]:
            return None
        return AWSResponse(
            request.url, 503, {}, _Body(b"<Error><Code>ServiceUnavailable</Code></Error>")
        )

    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", config=Config(retries={"max_attempts": 1})
        )
        client.create_bucket(Bucket="usage-bucket")
        client.put_object(Bucket="usage-bucket", Key="u/2026/11/22/00/a.jsonl", Body=LINE)
        client.meta.events.register("before-send.s3.GetObject", unavailable)
        yield client, down


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def test_s3_answering_503_is_retried_with_a_pause_never_parked(
    engine: Engine, catalog, failing_s3: tuple[Any, list[bool]]
) -> None:
    client, down = failing_s3

    def run(minutes: float):
        source = open_source("s3://usage-bucket/u/", s3_client=client)
        return ingest_pass(engine, source=source, now=NOW + timedelta(minutes=minutes), worker="w")

    for minutes in (0, 1, 4, 10):  # failing again and again, pauses of 1, 2, 4 minutes
        report = run(minutes)
        assert len(report.failed) == 1 and report.unreadable == []
    assert (_stored(engine).status, _stored(engine).attempts) == ("failed", 4)
    waiting = run(11)  # within the pause after the fourth failure: not tried
    assert (waiting.failed, waiting.pausing, _stored(engine).attempts) == ([], 1, 4)
    down[0] = False
    recovered = run(20)
    assert (recovered.objects, recovered.records) == (1, 1)
    assert len(rollup_totals(engine)) == 1


def test_which_errors_are_passing_trouble() -> None:
    def client_error(status: int, code: str) -> ClientError:
        meta = {"HTTPStatusCode": status}
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": meta}, "GetObject")

    wrapped = ExternalServiceError("S3 get_object")
    wrapped.__cause__ = client_error(503, "ServiceUnavailable")
    assert is_passing(wrapped)
    assert is_passing(client_error(400, "SlowDown"))
    assert is_passing(TimeoutError())
    assert not is_passing(client_error(403, "AccessDenied"))
    assert not is_passing(EOFError("Compressed file ended before the end-of-stream marker"))
    assert not is_passing(gzip.BadGzipFile("Not a gzipped file"))
