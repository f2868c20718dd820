"""How fast meterbot acknowledges Slack: 50 concurrent signed `/meter contracts` requests.

Serves the real app (bot.server.build_web_app) on a loopback port against a SQLite
database of 500 customers, with the local Slack Web API stand-in answering the
listeners' replies. In the same run, a bare Bolt app whose handler only acks is
measured the same way, so the figures compare like with like on this machine.

    python bench/slack_ack.py [--customers 500] [--concurrency 50] [--rounds 5]

Prints p50 / p99 acknowledgement latency for both. Target: p99 under 300 ms and
within 3x of the bare handler.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import Services
from bot.server import build_web_app
from core.db import open_database
from core.settings import load_settings
from tests.fakes.slack_api import SlackApiStandIn
from tests.slack.world import seed

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


def bare_app(slack: SlackApiStandIn) -> web.Application:
    """The baseline: Bolt with the same verification and a handler that only acks."""
    bolt = AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=slack.api_url)
    )

    @bolt.command("/meter")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


def meterbot_app(slack: SlackApiStandIn, database_url: str) -> web.Application:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "METERBOT_DATABASE_URL": database_url,
        }
    )
    return build_web_app(Services(settings), scheduler=False)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/slack/events"


def signed(text: str, n: int, slack: SlackApiStandIn) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "command": "/meter",
            "text": text,
            "user_id": f"U{n:08d}",
            "channel_id": "CBENCH",
            "team_id": "T0TEST01",
            "trigger_id": f"t.{n}",
            "response_url": slack.response_url(f"b{n}"),
        }
    )
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return body.encode(), headers


async def one(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> float:
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000


async def measure(
    url: str,
    slack: SlackApiStandIn,
    *,
    concurrency: int,
    rounds: int,
    settle: Callable[[int], Awaitable[None]],
) -> list[float]:
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for n in range(3):  # warm up: Bolt's first request calls auth.test
            await one(session, url, *signed("contracts", n, slack))
        await settle(3)
        sent = 3
        for _ in range(rounds):
            requests = [signed("contracts", sent + i, slack) for i in range(concurrency)]
            latencies += await asyncio.gather(*(one(session, url, b, h) for b, h in requests))
            sent += concurrency
            await settle(sent)  # let the listeners finish before the next burst
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(customers: int, concurrency: int, rounds: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.db"
        engine = open_database(database_url)
        seed(engine, now=datetime.now(UTC), extra_customers=max(0, customers - 3))
        engine.dispose()
        async with SlackApiStandIn() as slack:

            async def replies(count: int) -> None:
                await slack.wait_for("response_url", count=count, timeout=120)

            async def nothing(count: int) -> None:
                return None

            bare_runner, bare_url = await serve(bare_app(slack))
            bare = await measure(
                bare_url, slack, concurrency=concurrency, rounds=rounds, settle=nothing
            )
            await bare_runner.cleanup()

            runner, url = await serve(meterbot_app(slack, database_url))
            started = time.perf_counter()
            real = await measure(url, slack, concurrency=concurrency, rounds=rounds, settle=replies)
            elapsed = time.perf_counter() - started
            await runner.cleanup()
    return report(bare, real, customers=customers, concurrency=concurrency, elapsed=elapsed)


def report(
    bare: list[float], real: list[float], *, customers: int, concurrency: int, elapsed: float
) -> int:
    print(
        f"{len(real)} signed /meter contracts requests, {concurrency} concurrent, "
        f"{customers} customers (SQLite), loopback"
    )
    print(
        f"  bare Bolt ack-only handler: p50 {statistics.median(bare):6.1f} ms   "
        f"p99 {percentile(bare, 99):6.1f} ms"
    )
    print(
        f"  meterbot /meter contracts:  p50 {statistics.median(real):6.1f} ms   "
        f"p99 {percentile(real, 99):6.1f} ms   (listing replies done: {elapsed:.1f} s total)"
    )
    p99, base = percentile(real, 99), percentile(bare, 99)
    ok = p99 < 300 and p99 <= 3 * base
    print(
        f"  p99 ratio to bare: {p99 / base:.2f}x   target p99 < 300 ms and <= 3x: "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.customers, args.concurrency, args.rounds)))
