"""What every listener needs, handed to it through Bolt's context (see app.py).

Listeners reach the database only through `read` / `write`, which run a sync
SQLModel session in a worker thread, so the event loop keeps acknowledging Slack.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session

from bot.app import Services
from core.db import session_scope
from core.models import AuditEvent
from core.notifier import Notifier

log = logging.getLogger(__name__)
T = TypeVar("T")
CONTEXT_KEY = "meterbot"
DATABASE_SLOTS = 2
ACK_THREADS = 4  # work an acknowledgement waits for (options, form checks)
UPLOAD_WAIT = timedelta(minutes=10)  # after `/meter upload`, a file shared in the channel counts


class RecentKeys:
    """A bounded memory of handled submissions: `claim(key)` is True only the first time."""

    def __init__(self, size: int = 4096) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def claim(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        """Let `key` be claimed again (the work it guarded did nothing)."""
        self._seen.pop(key, None)


@dataclass
class SlackDeps:
    services: Services
    notifier: Notifier
    clock: Callable[[], datetime]
    handled: RecentKeys = field(default_factory=RecentKeys)
    # Figures worth keeping a few minutes (the home tab's top customers), by key.
    cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    # (channel, user) -> until when a file they share there is read as usage
    upload_waits: dict[tuple[str, str], datetime] = field(default_factory=dict)
    _slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(DATABASE_SLOTS))
    _ack_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(ACK_THREADS, thread_name_prefix="slack-ack")
    )

    def now(self) -> datetime:
        return self.clock()

    def expect_upload(self, channel: str, user: str) -> None:
        """`/meter upload` in a channel: the user's next file there is usage to read."""
        now = self.now()
        self.upload_waits = {k: t for k, t in self.upload_waits.items() if t > now}
        self.upload_waits[(channel, user)] = now + UPLOAD_WAIT

    def takes_upload(self, channel: str, user: str) -> bool:
        """Whether a file `user` shared in `channel` is meant for meterbot: always in a
        direct message with the bot; in a channel, once, after `/meter upload`."""
        if channel.startswith("D"):
            return True
        until = self.upload_waits.pop((channel, user), None)
        return until is not None and until > self.now()

    async def read(self, work: Callable[[Session], T], *, before_ack: bool = False) -> T:
        """Run `work(session)` in a worker thread (a unit of work that commits if it wrote).

        Work after an ack takes one of DATABASE_SLOTS: database work is mostly Python
        holding the GIL, so more threads would not finish sooner but would starve the event
        loop that must acknowledge Slack within 3 seconds. Work an acknowledgement waits for
        (options, form checks) goes ahead of the queue, on threads of its own.
        """
        if before_ack:
            # Its own threads: scheduled jobs can hold the loop's default ones for minutes.
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._ack_threads, self._in_session, work)
        async with self._slots:
            return await asyncio.to_thread(self._in_session, work)

    write = read

    async def blocking(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """A blocking call (boto3, a whole service function) in a worker thread."""
        return await asyncio.to_thread(work, *args, **kwargs)

    async def send(self, service: Callable[..., T], /, *, actor: str, **kwargs: Any) -> T:
        """Run a service that sends to Marketplace (`send_manual`, `retry_records`,
        `send_upload`) in a worker thread, with what the process gives each of them: the
        engine, the one sender (bot.app.Services.sender), the admins and the time."""
        # The sender builds a boto3 client the first time, which blocks: a thread too.
        client = await self.blocking(lambda: self.services.sender)
        return await self.blocking(
            service,
            self.services.engine,
            actor=actor,
            admins=self.services.admins,
            client=client,
            now=self.now(),
            **kwargs,
        )

    async def audit_refusal(
        self, *, user_id: str, action: str, subject: str = "", before_ack: bool = False
    ) -> None:
        """Record that a non-admin tried something only admins may do."""
        log.info("refused %s by %s (%s): not in METERBOT_ADMINS", action, user_id, subject)
        event = AuditEvent(
            at=self.now(),
            actor=user_id,
            action=f"refused:{action}",
            subject=subject[:255],
            detail={"reason": "not in METERBOT_ADMINS"},
        )
        await self.write(lambda session: session.add(event), before_ack=before_ack)

    def _in_session(self, work: Callable[[Session], T]) -> T:
        with session_scope(self.services.engine) as session:
            return work(session)


def deps_of(context: Any) -> SlackDeps:
    deps = context[CONTEXT_KEY]
    assert isinstance(deps, SlackDeps)
    return deps
