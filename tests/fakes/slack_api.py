"""A local stand-in for the Slack Web API: a real aiohttp server on a loopback port.

It answers the methods meterbot calls, records every call with its body, and checks
every view and block list with slack_sdk's own models, so a view Slack would refuse
fails the test here. It can also be told to answer 429 (with Retry-After) or 500 for
the next N calls, to exercise the client's retry handlers.

    async with SlackApiStandIn() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        assert slack.calls_to("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0TEST01"
MESSAGE_BLOCK_LIMIT = 50
VIEW_METHODS = {"views.open", "views.push", "views.update", "views.publish"}


@dataclass
class Call:
    """One request the bot made: the method (or 'upload' / 'response_url') and its body."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""


@dataclass
class SharedFile:
    """A file a user shared in a channel: served by files.info and at its download URL."""

    id: str
    name: str
    data: bytes
    channel: str
    user: str
    ts: str


class InvalidPayload(Exception):
    """A view or block list that Slack would refuse."""


class SlackApiStandIn:
    """The Web API at `api_url` (…/api/), uploads at …/upload/, response_url at …/response/."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.errors: list[str] = []  # every invalid payload seen; tests assert it stays empty
        self._failures: list[tuple[str | None, int, str | None]] = []  # (method, status, retry)
        self._ids = itertools.count(1)
        self._views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, SharedFile] = {}
        self._server: TestServer | None = None

    # -- lifecycle -----------------------------------------------------------------
    async def __aenter__(self) -> SlackApiStandIn:
        app = web.Application(client_max_size=64 * 2**20)  # uploads of a few MB, as Slack takes
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # files.info is a GET
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{token}", self._response_url)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "use `async with SlackApiStandIn()`"
        return str(self._server.make_url("/"))

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def response_url(self, token: str = "cmd") -> str:
        return f"{self.base_url}response/{token}"

    # -- test controls ---------------------------------------------------------------
    def fail_next(
        self,
        count: int,
        *,
        status: int = 429,
        retry_after: str | None = "0",
        method: str | None = None,
    ) -> None:
        """Answer the next `count` calls (to `method`, or any) with `status`; 429 carries
        Retry-After."""
        self._failures += [(method, status, retry_after if status == 429 else None)] * count

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        """The calls to `method` once there are `count` of them (work after an ack is async;
        the wait is generous because a loaded CI machine can take seconds)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.calls_to(method)) < count:
            if asyncio.get_running_loop().time() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} {method} call(s) in {timeout}s; saw {seen}")
            await asyncio.sleep(0.01)
        return self.calls_to(method)

    def share_file(self, name: str, data: bytes, *, channel: str, user: str) -> SharedFile:
        """A file as Slack holds it once `user` shared it in `channel` (its message's ts)."""
        n = next(self._ids)
        shared = SharedFile(f"F{n:08d}", name, data, channel, user, f"1700000100.{n:06d}")
        self.files[shared.id] = shared
        return shared

    def view(self, view_id: str) -> dict[str, Any]:
        """The latest version of a view the bot opened, pushed or updated."""
        return self._views[view_id]

    # -- handlers ----------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await _read_body(request)
        self.calls.append(Call(method, body, dict(request.headers)))
        failure = next((f for f in self._failures if f[0] in (None, method)), None)
        if failure is not None:
            self._failures.remove(failure)
            _, status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            payload = {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"}
            return web.json_response(payload, status=status, headers=headers)
        if not request.headers.get("Authorization", "").startswith("Bearer xox"):
            return web.json_response({"ok": False, "error": "not_authed"})
        try:
            return web.json_response(self._answer(method, body))
        except InvalidPayload as exc:
            self.errors.append(f"{method}: {exc}")
            return web.json_response(
                {"ok": False, "error": "invalid_arguments", "detail": str(exc)}
            )

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"]}, data=data))
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes, to the bot token only; anyone else gets Slack's sign-in page."""
        self.calls.append(Call("download", dict(request.match_info), dict(request.headers)))
        shared = self.files.get(request.match_info["file_id"])
        if not request.headers.get("Authorization", "").startswith("Bearer xoxb-"):
            return web.Response(status=200, text="<html>Sign in</html>", content_type="text/html")
        if shared is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=shared.data, content_type="application/octet-stream")

    def _file_info(self, body: dict[str, Any]) -> dict[str, Any]:
        shared = self.files.get(str(body.get("file", "")))
        if shared is None:
            return {"ok": False, "error": "file_not_found"}
        url = f"{self.base_url}files/{shared.id}/{shared.name}"
        kind = "private" if shared.channel.startswith(("D", "G")) else "public"
        return {
            "ok": True,
            "file": {
                "id": shared.id,
                "name": shared.name,
                "title": shared.name,
                "filetype": shared.name.rpartition(".")[2],
                "size": len(shared.data),
                "user": shared.user,
                "url_private": url,
                "url_private_download": url,
                "permalink": f"https://test.slack.com/files/{shared.user}/{shared.id}/{shared.name}",
                "shares": {kind: {shared.channel: [{"ts": shared.ts}]}},
            },
        }

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await _read_body(request)
        self.calls.append(Call("response_url", body))
        try:
            check_blocks(body.get("blocks"))
        except InvalidPayload as exc:
            self.errors.append(f"response_url: {exc}")
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://meterbot-test.slack.com/",
                "team": "Test",
                "user": "meterbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0TEST01",
                "is_enterprise_install": False,
            }
        if method in VIEW_METHODS:
            return {"ok": True, "view": self._store_view(method, body)}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            check_blocks(body.get("blocks"))
            if not body.get("channel"):
                raise InvalidPayload("channel is required")
            ts = f"1700000000.{next(self._ids):06d}"
            return {"ok": True, "channel": body["channel"], "ts": ts, "message_ts": ts}
        if method == "files.info":
            return self._file_info(body)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": f"{self.base_url}upload/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files", "[]"))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": True}

    def _store_view(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        view = body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        check_view(view)
        # views.update may name a view pushed by a response_action, which the stand-in never saw.
        view_id = body.get("view_id") or f"V{next(self._ids):08d}"
        stored = {**view, "id": view_id, "hash": f"h{next(self._ids)}"}
        self._views[view_id] = stored
        return stored


async def _read_body(request: web.Request) -> dict[str, Any]:
    """The call's arguments: JSON or form body, plus any sent as query parameters."""
    body: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body |= dict(await request.json())
    else:
        body |= dict(parse_qsl(await request.text()))
    return body


def check_view(view: Any) -> None:
    """Raise InvalidPayload unless slack_sdk's View model accepts `view` without losing a key."""
    if not isinstance(view, dict):
        raise InvalidPayload(f"view is not an object: {view!r}")
    try:
        rendered = View(**view).to_dict()
    except Exception as exc:  # slack_sdk raises several kinds for a malformed view
        raise InvalidPayload(f"view rejected: {exc}") from exc
    _same_keys(view, rendered, "view")
    limit = 100
    if len(view.get("blocks", [])) > limit:
        raise InvalidPayload(f"{len(view['blocks'])} blocks in a view (limit {limit})")


def check_blocks(blocks: Any) -> None:
    """Raise InvalidPayload unless every block parses with slack_sdk and none is lost."""
    if blocks is None:
        return
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        raise InvalidPayload(f"{len(blocks)} blocks in a message (limit {MESSAGE_BLOCK_LIMIT})")
    for index, raw in enumerate(blocks):
        block = Block.parse(raw)
        if block is None:
            raise InvalidPayload(f"block {index}: unknown block type {raw.get('type')!r}")
        try:
            rendered = block.to_dict()
        except Exception as exc:
            raise InvalidPayload(f"block {index} rejected: {exc}") from exc
        _same_keys(raw, rendered, f"block {index}")


def _same_keys(raw: Any, rendered: Any, where: str) -> None:
    """slack_sdk silently drops keys it does not know; Slack refuses them. Catch that."""
    if isinstance(raw, dict) and isinstance(rendered, dict):
        missing = set(raw) - set(rendered) - {"id", "hash"}
        if missing:
            raise InvalidPayload(f"{where}: unknown field(s) {sorted(missing)}")
        for key in raw:
            if key in rendered:
                _same_keys(raw[key], rendered[key], f"{where}.{key}")
    elif isinstance(raw, list) and isinstance(rendered, list):
        for index, (a, b) in enumerate(zip(raw, rendered, strict=False)):
            _same_keys(a, b, f"{where}[{index}]")
