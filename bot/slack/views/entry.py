"""The enter-usage modal, the confirm view pushed on submit, and the result after sending."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.slack import ids
from core.billing.estimates import EntryPreview
from core.usage.manual_entry import Entry, FormContract, FormDimension

from .blocks import (
    VIEW_BLOCKS,
    Block,
    context,
    divider,
    esc,
    modal,
    money,
    plain,
    qty,
    section,
    text_sections,
)


def loading_view(title: str = "meterbot", text: str = "Loading…") -> dict[str, object]:
    return modal(title, [section(text)], callback_id=ids.LOADING_VIEW)


def message_view(title: str, text: str) -> dict[str, object]:
    """A modal that only says something (a refusal, an error, nothing to do)."""
    return modal(title, [section(text)])


def entry_view(forms: Sequence[FormContract], *, channel: str = "") -> dict[str, object]:
    """One number input per dimension of each contract (as many contracts as fit)."""
    blocks: list[Block] = []
    shown: list[FormContract] = []
    for form in forms:
        part = _contract_blocks(form)
        if len(blocks) + len(part) > VIEW_BLOCKS - 1:
            break
        blocks += part
        shown.append(form)
    if len(shown) < len(forms):
        left = len(forms) - len(shown)
        blocks.append(context(f"{left} more contract(s) did not fit; enter them next time."))
    meta = json.dumps({"c": [f.customer_id for f in shown], "ch": channel})
    return modal(
        "Enter usage",
        blocks,
        callback_id=ids.ENTER_USAGE_VIEW,
        submit="Review",
        close="Cancel",
        private_metadata=meta,
    )


def _contract_blocks(form: FormContract) -> list[Block]:
    heading = section(f"*{esc(form.customer)}*  ·  {esc(form.plan)}")
    inputs = [_quantity_input(form.customer_id, dim) for dim in form.dimensions]
    return [heading, *inputs, divider()]


def _quantity_input(customer_id: int, dim: FormDimension) -> Block:
    hint = f"In {dim.unit}s" + (", whole units only" if dim.whole_units else "")
    if dim.max_quantity is not None:
        hint += f"; at most {qty(dim.max_quantity)}"
    return {
        "type": "input",
        "block_id": ids.quantity_block_id(customer_id, dim.id),
        "optional": True,
        "label": plain(f"{dim.name} ({dim.key})", 2000),
        "hint": plain(hint, 2000),
        "element": {
            "type": "number_input",
            "action_id": ids.QUANTITY_ACTION,
            "is_decimal_allowed": not dim.whole_units,
            "placeholder": plain("Leave empty to send nothing", 150),
        },
    }


def confirm_view(rows: Sequence[EntryPreview], entries: Sequence[Entry]) -> dict[str, object]:
    """Every record that will be sent with its estimated charge; submit sends them."""
    lines = [
        f"• *{esc(r.customer)}*: {esc(r.dimension)} {qty(r.quantity)} {esc(r.unit)}"
        f"  →  {money(r.estimate, r.currency) if r.estimate is not None else 'estimate n/a'}"
        f"{f' ({r.priced_by})' if r.priced_by and r.estimate is not None else ''}"
        for r in rows
    ]
    known = [r.estimate for r in rows if r.estimate is not None]
    total = money(sum(known, Decimal(0)), rows[0].currency if rows else "USD")
    blocks = [
        section(f"Send *{len(rows)}* record(s) to AWS Marketplace for the current hour?"),
        *_line_sections(lines),
        section(f"*Estimated extra charge this month: {total}*"),
        context(
            "Estimates use AWS's rate card where the customer's AWS agreement has one, "
            "else the plan, and usage so far; AWS bills the final amount. Records sent "
            "cannot be changed afterwards."
        ),
    ]
    meta = json.dumps([[e.customer_id, e.dimension_id, str(e.quantity)] for e in entries])
    return modal(
        "Confirm send",
        blocks,
        callback_id=ids.CONFIRM_VIEW,
        submit="Confirm send",
        close="Back",
        private_metadata=meta,
    )


def entries_from_metadata(metadata: str) -> list[Entry]:
    return [Entry(int(c), int(d), Decimal(q)) for c, d, q in json.loads(metadata or "[]")]


@dataclass(frozen=True)
class ResultRow:
    customer: str
    dimension: str
    quantity: Decimal
    status: str
    error: str | None = None


STATUS_ICONS = {
    "accepted": "✅",
    "duplicate": "♻️",
    "not_subscribed": "🚫",
    "failed": "❌",
    "pending": "⏳",
    "sent": "⏳",
}


def sending_view(count: int) -> dict[str, object]:
    return modal(
        "Sending",
        [section(f"Sending {count} record(s) to AWS Marketplace…")],
        callback_id=ids.RESULT_VIEW,
    )


def result_view(rows: Sequence[ResultRow], *, summary: str) -> dict[str, object]:
    """Each record's status after the send."""
    lines = [
        f"{STATUS_ICONS.get(r.status, '•')} *{esc(r.customer)}*: {esc(r.dimension)} "
        f"{qty(r.quantity)}: {r.status.replace('_', ' ')}"
        + (f"  _{esc(r.error)}_" if r.error else "")
        for r in rows
    ]
    blocks = [section(esc(summary)), *_line_sections(lines)]
    return modal("Usage sent", blocks, callback_id=ids.RESULT_VIEW, close="Done")


def _line_sections(lines: list[str]) -> list[Block]:
    return text_sections(lines, max_blocks=VIEW_BLOCKS - 5)
