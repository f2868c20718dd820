"""Small block constructors and the text rules Slack enforces (lengths, escaping)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from core import formatting

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_VALUE_LIMIT = 2000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_TITLE_LIMIT = 24


_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def esc(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup (user mentions stay)."""
    parts = _MENTION.split(text)
    mentions = _MENTION.findall(text)
    escaped = [p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for p in parts]
    return "".join(e + (mentions[i] if i < len(mentions) else "") for i, e in enumerate(escaped))


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text or "-", limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text or "-", limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> list[Block]:
    """Labelled values as section fields, ten to a section (Slack's limit)."""
    items = [mrkdwn(f"*{esc(label)}*\n{esc(value)}", FIELD_LIMIT) for label, value in pairs]
    return [
        {"type": "section", "fields": items[i : i + FIELDS_PER_SECTION]}
        for i in range(0, len(items), FIELDS_PER_SECTION)
    ]


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    label: str, action_id: str, value: str = "", *, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(label, 75), "action_id": action_id}
    if value:
        element["value"] = value[:BUTTON_VALUE_LIMIT]
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def actions(elements: list[dict[str, Any]], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def text_sections(lines: list[str], *, max_blocks: int) -> list[Block]:
    """Lines packed into as few sections as fit 3000 characters; the rest summarised."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for index, line in enumerate(lines):
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT_LIMIT - 50 and chunk:
            if len(blocks) == max_blocks - 1:
                chunk.append(f"…and {len(lines) - index} more")
                break
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(cut(line, SECTION_TEXT_LIMIT - 50))
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(title, VIEW_TITLE_LIMIT),
        "close": plain(close, VIEW_TITLE_LIMIT),
        "blocks": blocks[:VIEW_BLOCKS],
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit, VIEW_TITLE_LIMIT)
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def qty(value: Decimal) -> str:
    """A quantity without float noise or trailing zeros: 1.250000 -> 1.25, 3E+2 -> 300."""
    return formatting.quantity(value)


def money(amount: Decimal, currency: str = "USD") -> str:
    """$1,234.50, or 1,235 JPY: to the currency's minor unit."""
    return formatting.money(amount, currency)
