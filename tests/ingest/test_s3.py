"""S3 through moto: discovery over day partitions, late objects, Content-Encoding."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.utils import parse_timestamp
from moto import mock_aws
from sqlalchemy import Engine

from bot.app import s3_client, s3_session, s3_timestamp
from core.ingest.pipeline import ingest_pass
from core.ingest.sources.open import open_source
from core.ingest.synthetic import write_usage_files
from tests.ingest.conftest import DIMENSIONS, NOW, START, USAGE_IDS, expected_totals, rollup_totals

LINE = b'{"timestamp": "2026-11-22T00:30:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 4}\n'  # noqa: E501


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = s3_client("us-east-1", s3_session())  # the client `meterbot ingest` builds
        client.create_bucket(Bucket="usage-bucket")
        yield client


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T00:30:00.000Z",  # a listing's LastModified
        "2026-11-22T00:30:00.123456+01:00",
        "Sun, 22 Nov 2026 00:30:00 GMT",  # a Last-Modified header
        "1795307400",  # epoch seconds
        "2026-11-22T00:30:00",
    ],
)
def test_s3_times_are_read_as_botocore_reads_them(text: str) -> None:
    ours, botocores = s3_timestamp(text), parse_timestamp(text)
    assert (ours, ours.utcoffset()) == (botocores, botocores.utcoffset())


def test_the_s3_client_lists_and_heads_with_botocores_times(s3: Any) -> None:
    def times(client: Any) -> tuple[Any, Any]:
        listed = client.list_objects_v2(Bucket="usage-bucket")["Contents"][0]
        headed = client.head_object(Bucket="usage-bucket", Key="k.jsonl")
        return listed["LastModified"], headed["LastModified"]

    s3.put_object(Bucket="usage-bucket", Key="k.jsonl", Body=LINE)
    ours, botocores = times(s3), times(boto3.client("s3", region_name="us-east-1"))
    assert ours == botocores and ours[0].tzinfo is not None


def _upload(s3: Any, folder: Path, prefix: str) -> list[Path]:
    paths = write_usage_files(
        folder, usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=3
    )
    for path in paths:
        s3.put_object(
            Bucket="usage-bucket",
            Key=prefix + path.relative_to(folder).as_posix(),
            Body=path.read_bytes(),
        )
    return paths


def _pass(engine: Engine, s3: Any, url: str, minutes: int = 0):
    source = open_source(url, s3_client=s3)
    return ingest_pass(
        engine, source=source, now=NOW + timedelta(minutes=minutes), worker="w"
    ), source


def test_s3_pass_and_a_late_object_whose_key_sorts_earlier(
    engine: Engine, catalog, s3: Any, tmp_path: Path
) -> None:
    paths = _upload(s3, tmp_path / "files", "usage/")
    report, source = _pass(engine, s3, "s3://usage-bucket/usage/")
    assert (report.objects, report.records, source.full_listing) == (3, 3000, False)
    s3.put_object(Bucket="usage-bucket", Key="usage/2026/11/22/00/late-upload.jsonl", Body=LINE)
    late, _ = _pass(engine, s3, "s3://usage-bucket/usage/", minutes=5)
    assert (late.objects, late.records) == (1, 1)
    (tmp_path / "late.jsonl").write_bytes(LINE)
    assert rollup_totals(engine) == expected_totals([*paths, tmp_path / "late.jsonl"], catalog)


def test_gzip_by_content_encoding_and_a_flat_prefix(engine: Engine, catalog, s3: Any) -> None:
    s3.put_object(
        Bucket="usage-bucket",
        Key="flat/part-1.jsonl",
        Body=gzip.compress(LINE),
        ContentEncoding="gzip",
    )
    report, source = _pass(engine, s3, "s3://usage-bucket/flat/")
    assert (report.objects, report.records, source.full_listing) == (1, 1, True)
    assert "listed in full" in report.as_text()


def test_discovery_lists_only_the_trailing_window_of_days(s3: Any) -> None:
    for day in ("2026/10/01", "2026/11/20", "2026/11/22", "2026/11/23"):
        s3.put_object(Bucket="usage-bucket", Key=f"u/{day}/00/a.jsonl", Body=LINE)
    source = open_source("s3://usage-bucket/u/", s3_client=s3, lookback_days=2)
    keys = [ref.key for ref in source.discover(now=NOW)]
    assert keys == ["u/2026/11/20/00/a.jsonl", "u/2026/11/22/00/a.jsonl", "u/2026/11/23/00/a.jsonl"]
