"""End to end, as a new subscriber lives it: registration through the fulfillment URL, the
agreement synced with its entitlement, usage metered by licence beyond it, an amendment
applying from its hour, and an unsubscribe sending the last usage inside AWS's hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.agreements.queue import poll_once
from core.periods import hour_floor
from tests.agreements.conftest import World
from tests.agreements.test_events import Consumer, EventQueue, deliver, queue  # noqa: F401
from tests.agreements.test_metering import add_usage, send
from tests.agreements.test_registration import NEW_ACCOUNT, NEW_ARN, issue, site_for
from tests.fakes.marketplace import MarketplaceStandIn


async def test_a_subscriber_from_registration_to_unsubscribe(
    world: World,
    queue: EventQueue,  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    h = hour_floor(now)
    world.clock.now = now
    world.aws.add_agreement(
        "agmt-new",
        account=NEW_ACCOUNT,
        license_arn=NEW_ARN,
        start=h - timedelta(days=1),
        end=h + timedelta(days=365),
        entitlements={"storage_tb": 60},
    )
    async for site in site_for(world, None):
        mp = site.marketplace
        mp.clock = world.clock
        mp.add_product("8ahzwg4fkpyfh5sbpoew8tkkv", ["storage_tb", "seats"])
        mp.add_license("8ahzwg4fkpyfh5sbpoew8tkkv", NEW_ARN, NEW_ACCOUNT)
        issue(site, "tok-new")
        assert (await site.register("tok-new"))[0] == 200
        buyer = f"AWS account {NEW_ACCOUNT}"
        consumer = Consumer(world, mp, queue)

        # 80 used against the 60 AWS sold: 20 metered, under the licence.
        add_usage(world.engine, buyer, "storage", h + timedelta(hours=1), "50")
        add_usage(world.engine, buyer, "storage", h + timedelta(hours=2), "30")
        world.clock.now = h + timedelta(hours=3, minutes=5)
        await _send(world, mp)
        assert _by_hour(mp) == {h + timedelta(hours=2): Decimal(20)}
        assert {key[:2] for key in mp.billed()} == {(NEW_ARN, NEW_ACCOUNT)}

        # The buyer upgrades to 100 at 3:30: from that hour on, the pool is 100.
        world.clock.now = h + timedelta(hours=3, minutes=30)
        world.aws.amend("agmt-new", entitlements={"storage_tb": 100})
        deliver(
            queue,
            "ev-amended",
            "Purchase Agreement Amended - Proposer",
            world.clock.now,
            "agmt-new",
        )
        assert await poll_once(queue, consumer.handle, consumer.notifier) == 1
        add_usage(world.engine, buyer, "storage", h + timedelta(hours=3), "10")
        add_usage(world.engine, buyer, "storage", h + timedelta(hours=4), "15")
        add_usage(world.engine, buyer, "storage", h + timedelta(hours=5), "30")
        world.clock.now = h + timedelta(hours=6, minutes=5)
        await _send(world, mp)
        # 135 used of 100: 35 in all, 20 of it billed before the upgrade.
        assert sum(_by_hour(mp).values()) == Decimal(35)

        # Unsubscribe 20 minutes into the hour: its usage goes out at once.
        add_usage(world.engine, buyer, "storage", h + timedelta(hours=6), "10")
        world.clock.now = h + timedelta(hours=6, minutes=20)
        world.aws.end("agmt-new")
        deliver(
            queue, "ev-gone", "License Deprovisioned - Manufacturer", world.clock.now, "agmt-new"
        )
        assert await poll_once(queue, consumer.handle, consumer.notifier) == 1
        assert _by_hour(mp)[h + timedelta(hours=6)] == Decimal(10)
        assert sum(_by_hour(mp).values()) == Decimal(45)


def _by_hour(mp: MarketplaceStandIn) -> dict[datetime, Decimal]:
    return {hour: q for (_, _, _, hour), q in mp.billed().items()}


async def _send(world: World, mp: object) -> None:
    import asyncio

    await asyncio.to_thread(send, world, mp)  # type: ignore[arg-type]
