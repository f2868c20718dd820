"""The events queue: long-polling the SQS queue an EventBridge rule delivers to.

A message is deleted only after its effect is committed (and its notice posted); one
that fails (AWS unreachable, the database down) stays and comes back after the queue's
visibility timeout. A message that is not an event meterbot can read is logged and left
for the queue's redrive policy (a dead-letter queue), never dropped. The boto3 SQS client
comes from the composition root, with its timeout and retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.agreements.events import LifecycleEvent, UnreadableEvent, parse_event
from core.agreements.lifecycle import EventOutcome
from core.errors import MeterbotError
from core.notifier import Notifier

log = logging.getLogger(__name__)
Handler = Callable[[LifecycleEvent], EventOutcome]


@dataclass
class EventQueue:
    sqs: Any
    url: str
    wait_seconds: int = 20  # SQS's longest long poll

    def receive(self) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_seconds
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        return messages

    def delete(self, message: dict[str, Any]) -> None:
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


async def poll_once(queue: EventQueue, handle: Handler, notifier: Notifier) -> int:
    """One long poll; returns how many messages were acted on and deleted."""
    done = 0
    for message in await asyncio.to_thread(queue.receive):
        try:
            event = parse_event(message.get("Body", ""))
            outcome = await asyncio.to_thread(handle, event)
        except UnreadableEvent as exc:
            log.warning(
                "events queue: message %s left for the dead-letter queue: %s",
                message.get("MessageId"),
                exc,
            )
            continue
        except MeterbotError as exc:
            log.warning("events queue: %s; the message comes back later", exc)
            continue
        if outcome.message is not None:
            await notifier.send(outcome.message)
        await asyncio.to_thread(queue.delete, message)
        done += 1
    return done


async def consume(queue: EventQueue, handle: Handler, notifier: Notifier) -> None:
    """Poll until cancelled; an unexpected failure is logged and the loop goes on."""
    while True:
        try:
            await poll_once(queue, handle, notifier)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("events queue: poll failed; retrying in 10 s")
            await asyncio.sleep(10)
