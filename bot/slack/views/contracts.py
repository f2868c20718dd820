"""/meter contracts: a page of a product's contracts and a picker to enter usage."""

from __future__ import annotations

from bot.slack import ids
from core.reports.contracts import ContractRow, ContractsPage, DimensionUsage

from .blocks import VIEW_BLOCKS, Block, actions, button, context, divider, esc, qty, section

# Per contract in the entry form: a heading, one input per dimension, a divider.
FORM_OVERHEAD = 2


def max_contracts_per_form(dimensions: int) -> int:
    """How many contracts fit one modal (Slack allows 100 blocks a view)."""
    return max(1, (VIEW_BLOCKS - 2) // (dimensions + FORM_OVERHEAD))


def contracts_blocks(page: ContractsPage) -> list[Block]:
    month = page.period.start.strftime("%B %Y")
    blocks: list[Block] = [
        section(f"*{esc(page.product)}*: {page.total} active contract(s), usage in {month}"),
        divider(),
    ]
    blocks += [_contract(row) for row in page.rows]
    if not page.rows:
        blocks.append(section("_No active contracts._"))
    blocks.append(context(f"Page {page.page + 1} of {page.pages}"))
    blocks += _paging(page)
    if page.total:
        blocks += _picker(page)
    return blocks


def _contract(row: ContractRow) -> Block:
    lines = [f"*{esc(row.customer)}*  ·  {esc(row.plan)} ({row.kind}), from {esc(row.source)}"]
    lines += [_usage_line(u) for u in row.usage]
    lines += [f":warning: differs from the plans file: {esc(d)}" for d in row.differences]
    return section("\n".join(lines)[:3000])


def _usage_line(usage: DimensionUsage) -> str:
    used = f"{qty(usage.used)} {esc(usage.unit)}"
    if usage.entitled is None:
        return f"• {esc(usage.name)}: {used} (all metered)"
    over = f", *{qty(usage.overage)} over*" if usage.overage else ""
    return f"• {esc(usage.name)}: {used} of {qty(usage.entitled)} entitled{over}"


def _paging(page: ContractsPage) -> list[Block]:
    buttons = []
    if page.page > 0:
        buttons.append(
            button("‹ Previous", ids.CONTRACTS_PREV, f"{page.product_id}|{page.page - 1}")
        )
    if page.page + 1 < page.pages:
        buttons.append(button("Next ›", ids.CONTRACTS_NEXT, f"{page.product_id}|{page.page + 1}"))
    return [actions(buttons)] if buttons else []


def _picker(page: ContractsPage) -> list[Block]:
    limit = max_contracts_per_form(page.dimensions)
    picker = {
        "type": "multi_external_select",
        "action_id": ids.CONTRACT_PICKER,
        "placeholder": {"type": "plain_text", "text": "Choose contracts"},
        "min_query_length": 0,
        "max_selected_items": limit,
    }
    return [
        section(
            f"Pick up to {limit} contract(s), then *Enter usage*.",
            block_id=f"{ids.CONTRACT_PICKER_BLOCK}:{page.product_id}",
            accessory=picker,
        ),
        actions([button("Enter usage", ids.ENTER_USAGE, str(page.product_id), style="primary")]),
    ]


def contract_options(choices: list[tuple[int, str]]) -> list[dict[str, object]]:
    """Options for the external picker (labels up to 75 characters)."""
    return [
        {"text": {"type": "plain_text", "text": label[:75]}, "value": str(contract_id)}
        for contract_id, label in choices
    ]
