"""GETs of small S3 objects through the AWS Common Runtime's S3 client.

botocore spends 1.5-3 ms of Python on every GET (building, signing, sending and
parsing the request) and holds the GIL while it does: a pass over thousands of
small objects is bound by it at a few hundred GETs a second, however fast S3
answers. The CRT client signs, connects and retries in C threads, for a third of
that CPU (docs/ingestion.md). botocore still lists, and still streams large
objects, which the CRT client would hand over whole.

The URL comes from the boto3 client (one presigned URL per bucket), so the
endpoint settings (AWS_ENDPOINT_URL_S3, addressing style, FIPS) hold as they do
for botocore, and so do the credentials (the boto3 session's, refreshed as they
expire). Errors are raised as botocore's, so a failure reads, compares and
counts as passing or not alike on either path.
"""

from __future__ import annotations

import concurrent.futures
import io
import threading
from typing import Any
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from awscrt.auth import AwsCredentialsProvider
from awscrt.exceptions import AwsCrtError
from awscrt.http import HttpHeaders, HttpRequest
from awscrt.io import ClientBootstrap, DefaultHostResolver, EventLoopGroup
from awscrt.s3 import (
    S3Client,
    S3RequestTlsMode,
    S3RequestType,
    S3ResponseError,
    S3RetryConfig,
)
from botocore.exceptions import BotoCoreError, ClientError

MAX_BYTES = 8 * 2**20  # larger objects stream through botocore (one CRT part at most)
IN_FLIGHT = 64  # connections: as many as the pass keeps GETs in flight (bundle.py)


class S3Getter:
    """Whole small objects, exactly the listed version (If-Match), with a deadline.

    Retries: the CRT's standard strategy (5xx, throttling, dropped connections: up
    to four more tries, backing off), as botocore's would; then the error. S3's
    checksums are not asked for: the CRT checks them with a HEAD before every GET,
    twice the requests, and TLS already guards the bytes on the way."""

    max_bytes = MAX_BYTES

    def __init__(
        self,
        s3: Any,
        credentials: Any,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        retries: int = 4,
    ) -> None:
        self._s3 = s3  # the boto3 client: its endpoint, region and addressing style
        self._timeout = timeout
        self._bases: dict[str, tuple[str, str] | None] = {}
        self._asking = threading.Lock()
        loops = EventLoopGroup(2)
        tls = urlsplit(s3.meta.endpoint_url).scheme == "https"

        self._credentials = credentials  # botocore's: refreshed as they near expiry
        self._signing: tuple[Any, AwsCredentialsProvider] | None = None
        self._client = S3Client(
            bootstrap=ClientBootstrap(loops, DefaultHostResolver(loops)),
            region=s3.meta.region_name,
            tls_mode=S3RequestTlsMode.ENABLED if tls else S3RequestTlsMode.DISABLED,
            part_size=MAX_BYTES,
            max_active_connections_override=IN_FLIGHT,
            retry_config=S3RetryConfig(max_retries=retries),  # at least 1 (0: the CRT's 5)
            connect_timeout_ms=int(connect_timeout * 1000),
        )

    def get_object(self, *, Bucket: str, Key: str, IfMatch: str) -> dict[str, Any]:
        """The object as boto3's `get_object` gives it (Body, ContentEncoding), for the
        arguments S3Source passes it (the same names, so one call site serves both)."""
        located = self._bases.get(Bucket) if self.serves(Bucket) else None
        if located is None:
            raise ValueError(f"s3://{Bucket} is in another region: its GETs go through botocore")
        host, path = located
        asked = HttpHeaders([("Host", host), ("If-Match", IfMatch)])
        request = HttpRequest("GET", path + quote(Key, safe="/~"), asked)
        parts: list[tuple[int, bytes]] = []
        encoding: list[str] = []

        def on_headers(status_code: int, headers: list[tuple[str, str]], **_: Any) -> None:
            encoding[:] = [v for k, v in headers if k.lower() == "content-encoding"][:1]

        def on_body(chunk: bytes, offset: int, **_: Any) -> None:
            parts.append((offset, bytes(chunk)))

        started = self._client.make_request(
            type=S3RequestType.GET_OBJECT,
            request=request,
            on_headers=on_headers,
            on_body=on_body,
            credential_provider=self._provider(),
        )
        try:
            started.finished_future.result(self._timeout)
        except concurrent.futures.TimeoutError:
            started.cancel()
            message = f"GET s3://{Bucket}/{Key}: no answer in {self._timeout:g} s"
            raise TimeoutError(message) from None
        except S3ResponseError as exc:
            raise _client_error(exc) from None
        except AwsCrtError as exc:  # no answer at all: a connection, DNS or TLS failure
            raise ConnectionError(f"GET s3://{Bucket}/{Key}: {exc.name}: {exc.message}") from None
        parts.sort()
        body = io.BytesIO(b"".join(chunk for _, chunk in parts))
        return {"Body": body, "ContentEncoding": encoding[0] if encoding else None}

    def _provider(self) -> AwsCredentialsProvider:
        """The credentials botocore holds now, handed to the CRT as they are. Asked from
        the thread that makes the GET: a provider the CRT asked itself (a delegate) would
        take the GIL from its event loop at every signing, stalling that loop's GETs."""
        frozen = self._credentials.get_frozen_credentials()
        if self._signing is None or self._signing[0] != frozen:
            provider = AwsCredentialsProvider.new_static(
                frozen.access_key, frozen.secret_key, frozen.token
            )
            self._signing = (frozen, provider)
        return self._signing[1]

    def serves(self, bucket: str) -> bool:
        """Whether this client fetches the bucket's objects: it signs for its own region
        only, where botocore follows S3's redirect to another. Asked once a bucket (and
        again after a failure to ask, when botocore makes the GET and names the error)."""
        if bucket not in self._bases:
            with self._asking:  # the first GETs of a pass arrive sixteen at a time
                if bucket not in self._bases:
                    try:
                        self._bases[bucket] = self._locate(bucket)
                    except (BotoCoreError, ClientError):
                        return False
        return self._bases[bucket] is not None

    def _locate(self, bucket: str) -> tuple[str, str] | None:
        """The Host header and path prefix of the bucket's objects, as botocore builds
        them (virtual-hosted or path style); None for a bucket in another region."""
        head = self._s3.head_bucket(Bucket=bucket)
        region = head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
        if region and region != self._s3.meta.region_name:
            return None
        url = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
        )
        parts = urlsplit(url)
        return parts.netloc, parts.path.removesuffix("k")


def _client_error(exc: S3ResponseError) -> ClientError:
    """S3's error answer as botocore raises it: code, message and HTTP status."""
    code, message = f"HTTP{exc.status_code}", exc.message
    if exc.body:
        try:
            root = ElementTree.fromstring(exc.body)
            code = root.findtext("Code") or code
            message = root.findtext("Message") or message
        except ElementTree.ParseError:
            pass
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": exc.status_code},
    }
    return ClientError(response, "GetObject")
