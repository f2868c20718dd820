"""Choosing contracts in the picker: nothing to do until "Enter usage" is pressed."""

from slack_bolt.context.ack.async_ack import AsyncAck


async def contracts_picked(ack: AsyncAck) -> None:
    await ack()
