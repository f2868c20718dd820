"""Files shared with the bot: `files.info` and the download, with the bot token.

Slack serves a file's bytes only to a request carrying the bot token (scope
`files:read`). The download has a timeout, retries dropped connections and 5xx
answers twice, and stops reading past the size limit, so a huge file costs nothing.
The token goes only into the Authorization header, never into a message or log line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from core.errors import ExternalServiceError, InvalidInput
from core.uploads.file import LIMITS, MAX_BYTES

log = logging.getLogger(__name__)
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)
ATTEMPTS = 3


@dataclass(frozen=True)
class SlackFile:
    id: str
    name: str
    size: int
    url: str
    permalink: str
    thread_ts: str  # the message the file was shared in, in `channel`: replies go there


async def file_info(client: AsyncWebClient, file_id: str, channel: str) -> SlackFile:
    answer = await client.files_info(file=file_id)
    info: dict[str, Any] = answer["file"]
    return SlackFile(
        id=file_id,
        name=str(info.get("name") or info.get("title") or file_id),
        size=int(info.get("size") or 0),
        url=str(info.get("url_private_download") or info.get("url_private") or ""),
        permalink=str(info.get("permalink") or ""),
        thread_ts=_share_ts(info.get("shares") or {}, channel),
    )


def _share_ts(shares: dict[str, Any], channel: str) -> str:
    for kind in ("public", "private"):
        for share in (shares.get(kind) or {}).get(channel) or []:
            return str(share.get("thread_ts") or share.get("ts") or "")
    return ""


async def download(shared: SlackFile, token: str) -> bytes:
    """The file's bytes; InvalidInput past MAX_BYTES, ExternalServiceError after retries."""
    if shared.size > MAX_BYTES:
        raise InvalidInput(f"{shared.name} is too large: the limit is {LIMITS}")
    headers = {"Authorization": f"Bearer {token}"}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with (
                aiohttp.ClientSession(timeout=DOWNLOAD_TIMEOUT) as http,
                http.get(shared.url, headers=headers) as response,
            ):
                if response.status < 500:
                    return await _body(shared, response)
                log.warning("download of %s: HTTP %s", shared.id, response.status)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            log.warning("download of %s failed (attempt %d): %s", shared.id, attempt, exc)
        await asyncio.sleep(0.5 * attempt)
    raise ExternalServiceError(f"could not download {shared.name} from Slack; share it again")


async def _body(shared: SlackFile, response: aiohttp.ClientResponse) -> bytes:
    if response.status != 200 or response.content_type == "text/html":
        # Slack answers a request without a valid token with its sign-in page.
        raise ExternalServiceError(
            f"Slack refused the download of {shared.name} (HTTP {response.status}); "
            "check that the app has the files:read scope"
        )
    data = bytearray()
    async for block in response.content.iter_chunked(2**16):
        data += block
        if len(data) > MAX_BYTES:
            raise InvalidInput(f"{shared.name} is too large: the limit is {LIMITS}")
    return bytes(data)
