"""Signed requests into the real Bolt app, in the formats Slack sends them.

Each request is signed with slack_sdk's SignatureVerifier scheme (v0, HMAC-SHA256 over
"v0:timestamp:body"), as Slack does, so Bolt's verification runs for real.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import TEAM_ID, SlackApiStandIn

SIGNING_SECRET = "test-signing-secret-0123456789"
ADMIN = "UADMIN001"
USER = "UUSER0001"
CHANNEL = "CMETER001"
EVENTS = "/slack/events"


class SlackSays:
    """What Slack would post to /slack/events on behalf of a user."""

    def __init__(self, client: TestClient, slack: SlackApiStandIn, secret: str = SIGNING_SECRET):
        self.client = client
        self.slack = slack
        self.verifier = SignatureVerifier(secret)
        self._ids = itertools.count(1)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        retry: int | None = None,
        timestamp: int | None = None,
    ) -> ClientResponse:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body),
        }
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.client.post(EVENTS, data=body.encode(), headers=headers)

    async def command(
        self,
        text: str,
        *,
        user: str = ADMIN,
        channel: str = CHANNEL,
        retry: int | None = None,
        trigger_id: str | None = None,
    ) -> ClientResponse:
        n = next(self._ids)
        form = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "metering",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/meter",
            "text": text,
            "api_app_id": "A0METER01",
            "response_url": self.slack.response_url(f"cmd{n}"),
            "trigger_id": trigger_id or f"trigger.{n}",
        }
        return await self.post(urlencode(form), "application/x-www-form-urlencoded", retry=retry)

    async def interact(self, payload: dict[str, Any], retry: int | None = None) -> ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", retry=retry)

    async def click(
        self,
        action_id: str,
        value: str = "",
        *,
        user: str = ADMIN,
        block_id: str = "b",
        state: dict[str, Any] | None = None,
        message_ts: str = "1700000000.000001",
        retry: int | None = None,
    ) -> ClientResponse:
        n = next(self._ids)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID},
            "api_app_id": "A0METER01",
            "token": "legacy",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL},
            "channel": {"id": CHANNEL},
            "trigger_id": f"trigger.a{n}",
            "response_url": self.slack.response_url(f"act{n}"),
            "state": {"values": state or {}},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        return await self.interact(payload, retry=retry)

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        view_id: str,
        user: str = ADMIN,
        retry: int | None = None,
    ) -> ClientResponse:
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID},
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0METER01",
            "token": "legacy",
            "trigger_id": f"trigger.v{next(self._ids)}",
            "view": {
                **view,
                "id": view_id,
                "team_id": TEAM_ID,
                "hash": "h",
                "state": {"values": values},
            },
        }
        return await self.interact(payload, retry=retry)

    async def suggest(self, action_id: str, block_id: str, typed: str) -> ClientResponse:
        payload = {
            "type": "block_suggestion",
            "user": {"id": ADMIN, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID},
            "api_app_id": "A0METER01",
            "token": "legacy",
            "action_id": action_id,
            "block_id": block_id,
            "value": typed,
            "container": {"type": "message", "message_ts": "1700000000.000001"},
        }
        return await self.interact(payload)

    async def event(self, event: dict[str, Any], *, retry: int | None = None) -> ClientResponse:
        n = next(self._ids)
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "api_app_id": "A0METER01",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{n:08d}",
                "event_time": int(time.time()),
            }
        )
        return await self.post(body, "application/json", retry=retry)


def quantity_values(entries: dict[str, str | None]) -> dict[str, Any]:
    """View state for the enter-usage form: block id -> the number typed (None: left empty)."""
    from bot.slack import ids

    return {
        block_id: {ids.QUANTITY_ACTION: {"type": "number_input", "value": value}}
        for block_id, value in entries.items()
    }
