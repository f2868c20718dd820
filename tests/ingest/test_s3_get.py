"""Small objects' GETs through the CRT: moto's server, and plain sockets for S3 in trouble.

The CRT client speaks HTTP itself, so these run against servers on loopback (moto's
in-process mock only sees botocore's requests).
"""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from sqlalchemy import Engine

from core.errors import ExternalServiceError
from core.ingest.failures import is_passing
from core.ingest.pipeline import ingest_pass
from core.ingest.sources.base import ObjectRef
from core.ingest.sources.open import open_source
from core.ingest.sources.s3 import S3Source
from core.ingest.sources.s3_get import S3Getter
from core.ingest.synthetic import write_usage_files
from tests.ingest.conftest import DIMENSIONS, NOW, START, USAGE_IDS, expected_totals, rollup_totals

LINE = b'{"timestamp": "2026-11-22T00:30:00Z", "customer": "acct-0001", "dimension": "users", "quantity": 4}\n'  # noqa: E501
KEYS = dict(aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def s3(moto_server: str, request: pytest.FixtureRequest) -> Any:
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server, **KEYS)
    bucket = f"usage-{abs(hash(request.node.nodeid)) % 10**9}"
    client.create_bucket(Bucket=bucket)
    client.bucket = bucket  # type: ignore[attr-defined]  (the test's own bucket)
    return client


def _getter(s3: Any, **options: Any) -> S3Getter:
    return S3Getter(s3, boto3.Session(**KEYS).get_credentials(), **options)


def _etag(s3: Any, key: str, bucket: str = "") -> str:
    return str(s3.head_object(Bucket=bucket or s3.bucket, Key=key)["ETag"])


def test_an_s3_pass_with_small_gets_through_the_crt(
    engine: Engine, catalog, s3: Any, tmp_path: Path
) -> None:
    paths = write_usage_files(
        tmp_path / "files", usage_ids=USAGE_IDS, dimensions=DIMENSIONS, start=START, hours=3
    )
    for path in paths:
        key = "u/" + path.relative_to(tmp_path / "files").as_posix()
        s3.put_object(Bucket=s3.bucket, Key=key, Body=path.read_bytes())
    s3.put_object(
        Bucket=s3.bucket,
        Key="u/2026/11/22/00/zipped.jsonl",
        Body=gzip.compress(LINE),
        ContentEncoding="gzip",
    )
    (tmp_path / "zipped.jsonl").write_bytes(LINE)
    source = open_source(f"s3://{s3.bucket}/u/", s3_client=s3, s3_getter=_getter(s3))
    report = ingest_pass(engine, source=source, now=NOW, worker="w")
    assert (report.objects, report.records, report.failed) == (4, 3001, [])
    assert rollup_totals(engine) == expected_totals([*paths, tmp_path / "zipped.jsonl"], catalog)


def test_the_getter_gives_what_botocore_gives(s3: Any) -> None:
    # A key that must be escaped in the path, and a body with every byte value.
    key = "u/2026/11/22/00/Ünïcode + space?&=%.jsonl"
    body = bytes(range(256)) * 300
    s3.put_object(Bucket=s3.bucket, Key=key, Body=body, ContentEncoding="gzip")
    got = _getter(s3).get_object(Bucket=s3.bucket, Key=key, IfMatch=_etag(s3, key))
    assert (got["Body"].read(), got["ContentEncoding"]) == (body, "gzip")
    s3.put_object(Bucket=s3.bucket, Key="plain.jsonl", Body=LINE)
    etag = _etag(s3, "plain.jsonl")
    plain = _getter(s3).get_object(Bucket=s3.bucket, Key="plain.jsonl", IfMatch=etag)
    assert (plain["Body"].read(), plain["ContentEncoding"]) == (LINE, None)


def test_a_replaced_or_missing_object_fails_as_botocore_says_it(s3: Any) -> None:
    s3.put_object(Bucket=s3.bucket, Key="a.jsonl", Body=LINE)
    stale = _etag(s3, "a.jsonl")
    s3.put_object(Bucket=s3.bucket, Key="a.jsonl", Body=LINE + LINE)  # re-uploaded since
    getter = _getter(s3)
    for key, code in (("a.jsonl", "PreconditionFailed"), ("gone.jsonl", "NoSuchKey")):
        with pytest.raises(ClientError) as crt:
            getter.get_object(Bucket=s3.bucket, Key=key, IfMatch=stale)
        with pytest.raises(ClientError) as boto:
            s3.get_object(Bucket=s3.bucket, Key=key, IfMatch=stale)
        assert crt.value.response["Error"]["Code"] == code
        assert str(crt.value) == str(boto.value)  # one description, whichever path failed
        assert not is_passing(crt.value)


def test_large_objects_stream_through_botocore(s3: Any) -> None:
    s3.put_object(Bucket=s3.bucket, Key="big.jsonl", Body=LINE * 100)
    getter = _getter(s3)
    getter.max_bytes = len(LINE) * 10  # this instance only: the object is "large" here
    source = S3Source(s3, s3.bucket, "", getter=getter)
    ref = ObjectRef("big.jsonl", _etag(s3, "big.jsonl").strip('"'), len(LINE) * 100)
    opened = source.open(ref)
    assert isinstance(opened.stream, StreamingBody)  # botocore's, read in chunks
    assert opened.stream.read() == LINE * 100


def test_a_bucket_in_another_region_is_read_through_botocore(s3: Any) -> None:
    bucket = s3.bucket + "-eu"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=LINE)
    getter = _getter(s3)
    assert (getter.serves(bucket), getter.serves(s3.bucket)) == (False, True)
    source = S3Source(s3, bucket, "", getter=getter)
    opened = source.open(ObjectRef("a.jsonl", _etag(s3, "a.jsonl", bucket).strip('"'), len(LINE)))
    assert isinstance(opened.stream, StreamingBody) and opened.stream.read() == LINE


class _Stub:
    """An HTTP server on loopback answering each GET with the next canned answer, or
    never once they run out; it counts the GETs. A HEAD (where is the bucket?) is
    answered with us-east-1."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.requests = 0
        self.signed_by: list[str] = []  # each GET's access key id
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        while True:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            if request.startswith(b"HEAD"):
                conn.sendall(_answer("200 OK", b"", "x-amz-bucket-region: us-east-1"))
                continue
            self.requests += 1
            self.signed_by += re.findall(r"Credential=([^/]+)/", request.decode())
            if not self.answers:
                self.held.append(conn)  # keep it open, say nothing
                return
            conn.sendall(self.answers.pop(0))

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept: the port closes
        self.sock.close()
        for conn in self.held:
            conn.close()


def _answer(status: str, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers, "", ""]
    return "\r\n".join(head).encode() + body


def _stub_source(stub: _Stub, **options: Any) -> S3Source:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=stub.url, **KEYS)
    return S3Source(s3, "b", "", getter=_getter(s3, **options))


def _get(source: S3Source) -> Any:
    assert source.getter is not None and source.getter.serves("b")
    return source.getter.get_object(Bucket="b", Key="k.jsonl", IfMatch='"e"')


OK = _answer(  # S3's answer to the CRT's ranged GET of a small object
    "206 Partial Content", LINE, f"Content-Range: bytes 0-{len(LINE) - 1}/{len(LINE)}", 'ETag: "e"'
)


def test_s3_slowing_down_is_tried_again_by_the_getter() -> None:
    slow_down = _answer(
        "503 Slow Down", b"<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>"
    )
    stub = _Stub([slow_down, OK])
    try:
        got = _get(_stub_source(stub))
        assert (got["Body"].read(), stub.requests) == (LINE, 2)
    finally:
        stub.close()


def test_every_get_is_signed_with_the_credentials_botocore_holds_then() -> None:
    stub = _Stub([OK] * 3)
    credentials = Credentials("first", "secret")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=stub.url, **KEYS)
    source = S3Source(s3, "b", "", getter=S3Getter(s3, credentials))
    try:
        _get(source)
        credentials.access_key = "rotated"  # as botocore's refresh replaces them
        _get(source)
        _get(source)
        assert stub.signed_by == ["first", "rotated", "rotated"]
    finally:
        stub.close()


def test_s3_that_never_answers_ends_in_a_passing_timeout() -> None:
    stub = _Stub([])
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"no answer in 0\.5 s") as raised:
            _get(_stub_source(stub, timeout=0.5))
        assert time.monotonic() - started < 5
        assert is_passing(raised.value)
    finally:
        stub.close()


def test_s3_that_is_down_is_passing_trouble() -> None:
    stub = _Stub([])
    source = _stub_source(stub, retries=1, connect_timeout=1)
    assert source.getter is not None and source.getter.serves("b")
    stub.close()  # nothing listens there any more
    with pytest.raises(ConnectionError, match=r"GET s3://b/k\.jsonl") as raised:
        source.open(ObjectRef("k.jsonl", "e", len(LINE)))
    assert is_passing(raised.value)


def test_denied_is_the_objects_trouble_until_someone_fixes_access() -> None:
    denied = _answer(
        "403 Forbidden", b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    )
    stub = _Stub([denied])
    try:
        source = _stub_source(stub)
        with pytest.raises(ExternalServiceError, match=r"\(AccessDenied\)") as raised:
            source.open(ObjectRef("k.jsonl", "e", len(LINE)))
        assert not is_passing(raised.value)
        assert stub.requests == 1  # a 403 is not tried again
    finally:
        stub.close()
