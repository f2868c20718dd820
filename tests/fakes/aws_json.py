"""The AWS stand-ins' common parts: their HTTP server, and a checked AWS JSON base.

`StandInServer` is what every stand-in (Marketplace Metering, Agreement Service,
CloudTrail) serves from: a real HTTP server on 127.0.0.1 (port 0, a daemon thread) that
hands each POST to `respond` and writes back its JSON, or the `AwsError` it raised, with
`boto_client()` and `env()` aimed at it.

`AwsJsonServer` adds dispatch checked against botocore's model: a subclass names the
botocore service and implements one method per operation
(`op_SearchAgreements(self, request) -> dict`), dispatched on `X-Amz-Target`. Every
request is checked against the operation's input shape (unknown members, missing
required members, wrong types, enums, numeric ranges), and every answer against the
output shape, so a stand-in can neither accept what AWS would refuse nor answer what
boto3 would not parse. Errors are raised as `AwsError(code, message)`; scripted faults
(`fail_next`) come before the operation.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class ShapeMismatch(AssertionError):
    """The stand-in built an answer boto3 would not parse: a bug in the stand-in."""


def check(value: Any, shape: Shape, where: str = "") -> None:
    """Raise ValueError naming the first place `value` does not fit `shape`."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ValueError(f"{where or 'body'} must be an object")
        for name in value:
            if name not in shape.members:
                raise ValueError(f"unknown member {where}{name}")
        for name in shape.required_members:
            if name not in value:
                raise ValueError(f"missing required member {where}{name}")
        for name, item in value.items():
            check(item, shape.members[name], f"{where}{name}.")
    elif kind == "list":
        if not isinstance(value, list):
            raise ValueError(f"{where[:-1]} must be a list")
        _bounds(len(value), shape, where)
        for index, item in enumerate(value):
            check(item, shape.member, f"{where[:-1]}[{index}].")  # type: ignore[attr-defined]
    else:
        _scalar(value, shape, where[:-1])


def _scalar(value: Any, shape: Shape, where: str) -> None:
    kind = shape.type_name
    types: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "integer": (int,),
        "long": (int,),
        "boolean": (bool,),
        "timestamp": (int, float),  # AWS JSON sends epoch seconds
        "double": (int, float),
        "float": (int, float),
    }
    expected = types.get(kind, (object,))
    if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
        raise ValueError(f"{where} must be a {kind}")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        raise ValueError(f"{where} must be one of {', '.join(enum)}")
    if kind == "string":
        _bounds(len(value), shape, where + ".")
    elif kind in {"integer", "long"}:
        _bounds(value, shape, where + ".")


def _bounds(number: int, shape: Shape, where: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{where[:-1] or 'value'} out of range {low}..{high}")


class StandInServer:
    """A stand-in's HTTP side; subclasses set SERVICE (boto3's name) and write `respond`."""

    SERVICE = ""
    CONTENT_TYPE = "application/x-amz-json-1.0"
    ENDPOINT_VARIABLE = ""  # e.g. AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT
    _server: ThreadingHTTPServer | None = None

    def respond(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[Any, bool]:
        """The JSON answer to a request, and whether to cut the connection instead of
        sending it (a call processed but its answer lost); raises AwsError to refuse."""
        raise NotImplementedError

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Environment for a process that should talk to this stand-in."""
        return {
            self.ENDPOINT_VARIABLE: self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def boto_client(self, *, max_attempts: int = 1, read_timeout: float = 10) -> Any:
        """A real boto3 client aimed here, with dummy credentials (botocore retries off)."""
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=2,
            read_timeout=read_timeout,
            max_pool_connections=16,
        )
        return boto3.client(
            self.SERVICE,
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    def start(self) -> Any:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Any:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()


class AwsJsonServer(StandInServer):
    """Base for a checked stand-in: SERVICE names botocore's model, `op_<Name>` answers."""

    def __init__(self) -> None:
        self.model = botocore.session.get_session().get_service_model(self.SERVICE)
        self.prefix = self.model.metadata["targetPrefix"]
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (operation, request) in order
        self.headers: list[dict[str, str]] = []
        self._faults: deque[AwsError] = deque()
        self._lock = threading.RLock()

    # -- faults -------------------------------------------------------------------------
    def fail_next(
        self, code: str = "ThrottlingException", calls: int = 1, status: int = 400
    ) -> None:
        """The next `calls` requests answer this error before reaching the operation."""
        self._faults.extend(AwsError(code, f"scripted {code}", status) for _ in range(calls))

    def calls_to(self, operation: str) -> list[dict[str, Any]]:
        return [request for name, request in self.calls if name == operation]

    # -- dispatch -----------------------------------------------------------------------
    def respond(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[Any, bool]:
        try:
            return self.handle(target, body, headers), False
        except ShapeMismatch as exc:
            raise AwsError("StandInBug", str(exc), 500) from None

    def handle(self, target: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        prefix, _, name = target.rpartition(".")  # CloudTrail's prefix has dots
        if prefix != self.prefix or name not in self.model.operation_names:
            raise AwsError("UnknownOperationException", f"unknown target {target!r}")
        operation = self.model.operation_model(name)
        try:
            request = json.loads(body or b"{}")
            check(request, operation.input_shape)
        except ValueError as exc:
            raise AwsError("ValidationException", str(exc)) from None
        with self._lock:
            self.calls.append((name, request))
            self.headers.append(headers)
            if self._faults:
                raise self._faults.popleft()
            answer: dict[str, Any] = getattr(self, f"op_{name}")(request)
        self._check_answer(operation, answer)
        return answer

    @staticmethod
    def _check_answer(operation: OperationModel, answer: dict[str, Any]) -> None:
        try:
            check(answer, operation.output_shape)
        except ValueError as exc:
            raise ShapeMismatch(f"{operation.name} answer: {exc}") from None


def _handler_for(stand_in: StandInServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status = 200
                answer, drop = stand_in.respond(headers.get("x-amz-target", ""), body, headers)
            except AwsError as exc:
                status, answer, drop = (
                    exc.status,
                    {"__type": exc.code, "message": exc.message},
                    False,
                )
            if drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", stand_in.CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", f"req-{time.monotonic_ns()}")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output clean

    return Handler
