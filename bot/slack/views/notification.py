"""core.notifier.Message rendered as Block Kit: header, summary, facts, lines, buttons."""

from __future__ import annotations

from core.notifier import Action, Message, Severity

from .blocks import (
    BUTTON_VALUE_LIMIT,
    MESSAGE_BLOCKS,
    Block,
    actions,
    button,
    context,
    cut,
    esc,
    fields,
    header,
    section,
    text_sections,
)

ICONS = {
    Severity.INFO: "ℹ️",
    Severity.SUCCESS: "✅",
    Severity.WARNING: "⚠️",
    Severity.ERROR: "❌",
}
FALLBACK_TEXT_LIMIT = 3000


def message_blocks(message: Message) -> list[Block]:
    """Every part of the message within Slack's limits (50 blocks, 3000 chars a section)."""
    blocks: list[Block] = [
        header(f"{ICONS.get(Severity(message.severity), '')} {message.title}"),
        section(esc(message.summary)),
    ]
    blocks += fields(message.facts)
    tail = _action_blocks(message.actions)
    room = MESSAGE_BLOCKS - len(blocks) - len(tail)
    if message.lines and room > 0:
        blocks += text_sections([esc(line) for line in message.lines], max_blocks=room)
    return (blocks + tail)[:MESSAGE_BLOCKS]


def message_text(message: Message) -> str:
    """The notification fallback text (what phones and screen readers show)."""
    return cut(f"{message.title}: {message.summary}", FALLBACK_TEXT_LIMIT)


def _action_blocks(items: list[Action]) -> list[Block]:
    if not items:
        return []
    buttons = [
        button(label, action.action_id, value, style=action.style)
        for action in items
        for label, value in _split_value(action)
    ]
    blocks = [actions(buttons)]
    if any(action.admin_only for action in items):
        blocks.append(context("Some buttons here are for meterbot admins only (METERBOT_ADMINS)."))
    return blocks


def _split_value(action: Action) -> list[tuple[str, str]]:
    """A comma-separated value longer than a button holds is split over several buttons."""
    if len(action.value) <= BUTTON_VALUE_LIMIT:
        return [(action.label, action.value)]
    parts: list[str] = []
    current: list[str] = []
    for item in action.value.split(","):
        if current and len(",".join([*current, item])) > BUTTON_VALUE_LIMIT:
            parts.append(",".join(current))
            current = []
        current.append(item)
    parts.append(",".join(current))
    return [(f"{action.label} ({n}/{len(parts)})", part) for n, part in enumerate(parts, 1)]
