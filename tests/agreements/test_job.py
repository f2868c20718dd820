"""The scheduled agreements sync: on with a live Marketplace, posting what changed."""

from __future__ import annotations

import asyncio

from scheduler.jobs import Jobs
from scheduler.runner import job_specs
from tests.agreements.conftest import ACCOUNT, ARN, START, World
from tests.scheduler.conftest import RecordingNotifier, services


def test_the_job_runs_every_15_minutes_when_live_and_posts_changes(world: World) -> None:
    live = services(world.engine, METERBOT_MARKETPLACE="live")
    live.agreements = world.aws.boto_client()
    notifier = RecordingNotifier()
    jobs = Jobs(services=live, notifier=notifier, replica="r")
    assert [s.schedule for s in job_specs(jobs) if s.name == "agreements_sync"] == []  # off
    on = services(
        world.engine, METERBOT_MARKETPLACE="live", METERBOT_SCHEDULE_AGREEMENTS="*/15 * * * *"
    )
    assert [s.name for s in job_specs(Jobs(services=on, notifier=notifier, replica="r"))] == [
        "agreements_sync"
    ]
    dry = services(world.engine, METERBOT_SCHEDULE_AGREEMENTS="*/15 * * * *")
    assert job_specs(Jobs(services=dry, notifier=notifier, replica="r")) == []

    world.aws.add_agreement("agmt-acme", account=ACCOUNT, license_arn=ARN, start=START)
    summary = asyncio.run(jobs.agreements(world.clock.now))
    assert summary == "1 agreements read, 0 problems"
    assert notifier.titles == ["AWS agreements sync"]
    assert asyncio.run(jobs.agreements(world.clock.now)) == "0 agreements read, 0 problems"
    assert notifier.titles == ["AWS agreements sync"]  # nothing changed: nothing posted
