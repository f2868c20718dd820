"""The enter-usage form was submitted: errors next to their fields, or the confirm view.

Slack wants the answer (errors, or the view to push) in the acknowledgement itself, so
the checks and estimates run here, in a worker thread, inside a time budget: if the
estimates are slow the confirm view still comes, marked "estimate n/a".
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from sqlmodel import Session

from bot.slack import ids
from bot.slack.deps import SlackDeps, deps_of
from bot.slack.errors import refusal
from bot.slack.views.entry import ConfirmRow, confirm_view
from core.access import SEND_USAGE
from core.agreements.overview import aws_estimate
from core.billing.invoices import estimate_charge
from core.customers.lookup import contract_at
from core.errors import MeterbotError, NotAllowed
from core.models import Customer, Dimension, Plan
from core.usage.manual_entry import Entry, Key, check_entries

log = logging.getLogger(__name__)
ESTIMATE_BUDGET_SECONDS = 1.5


async def usage_entered(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    deps = deps_of(context)
    user = body["user"]["id"]
    typed = typed_quantities(view["state"]["values"])
    try:
        deps.services.admins.require(user, SEND_USAGE, subject="enter-usage form")
    except NotAllowed as error:
        text = await refusal(deps, error, before_ack=True)
        await ack(response_action="errors", errors=_on_first(typed, text))
        return
    now = deps.now()
    entries, errors = await deps.read(
        lambda s: check_entries(s, typed=typed, now=now), before_ack=True
    )
    if errors:
        await ack(response_action="errors", errors={_block(k): m for k, m in errors.items()})
        return
    if not entries:
        await ack(response_action="errors", errors=_on_first(typed, "Enter at least one quantity."))
        return
    rows = await _confirm_rows(deps, entries)
    await ack(response_action="push", view=confirm_view(rows, entries))


def typed_quantities(values: dict[str, Any]) -> dict[Key, str | None]:
    typed: dict[Key, str | None] = {}
    for block_id, elements in values.items():
        key = ids.parse_quantity_block_id(block_id)
        if key is not None:
            typed[key] = (elements.get(ids.QUANTITY_ACTION) or {}).get("value")
    return typed


def _block(key: Key) -> str:
    return ids.quantity_block_id(*key)


def _on_first(typed: dict[Key, str | None], message: str) -> dict[str, str]:
    return {_block(next(iter(typed))): message} if typed else {}


async def _confirm_rows(deps: SlackDeps, entries: list[Entry]) -> list[ConfirmRow]:
    now = deps.now()
    try:
        return await asyncio.wait_for(
            deps.read(lambda s: [_row(s, e, now, estimate=True) for e in entries], before_ack=True),
            ESTIMATE_BUDGET_SECONDS,
        )
    except TimeoutError:
        log.warning(
            "estimates took over %.1f s; confirm view shown without", ESTIMATE_BUDGET_SECONDS
        )
        return await deps.read(
            lambda s: [_row(s, e, now, estimate=False) for e in entries], before_ack=True
        )


def _row(session: Session, entry: Entry, now: datetime, *, estimate: bool) -> ConfirmRow:
    customer = session.get(Customer, entry.customer_id)
    dim = session.get(Dimension, entry.dimension_id)
    assert customer is not None and dim is not None  # checked by check_entries
    aws = _aws_estimate(session, entry, now) if estimate else None
    if aws is not None:
        return ConfirmRow(customer.name, dim.name, dim.unit, entry.quantity, *aws, "AWS price")
    charge = _estimate(session, entry, now) if estimate else None
    contract = contract_at(session, customer_id=entry.customer_id, at=now)
    plan = session.get(Plan, contract.plan_id) if contract else None
    currency = plan.currency if plan else "USD"
    return ConfirmRow(customer.name, dim.name, dim.unit, entry.quantity, charge, currency)


def _aws_estimate(session: Session, entry: Entry, now: datetime) -> tuple[Decimal, str] | None:
    """AWS's rate card prices the estimate when the customer's AWS agreement has one."""
    return aws_estimate(
        session,
        customer_id=entry.customer_id,
        dimension_id=entry.dimension_id,
        quantity=entry.quantity,
        at=now,
    )


def _estimate(session: Session, entry: Entry, now: datetime) -> Decimal | None:
    """The extra charge, or None when the plan cannot price it (the send may still go)."""
    try:
        return estimate_charge(
            session,
            customer_id=entry.customer_id,
            dimension_id=entry.dimension_id,
            quantity=entry.quantity,
            at=now,
        )
    except MeterbotError as exc:
        log.info("no estimate for %s: %s", entry, exc)
        return None
