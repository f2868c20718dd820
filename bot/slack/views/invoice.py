"""/meter invoice: the invoice's totals as fields and its lines as a fixed-width table."""

from __future__ import annotations

from core.billing.document import InvoiceDoc

from .blocks import SECTION_TEXT_LIMIT, Block, context, esc, fields, money, section

CODE_FENCE = "```"
MAX_TABLE_BLOCKS = 12


def invoice_blocks(doc: InvoiceDoc, table: str) -> list[Block]:
    """`table` is core.billing.invoices.invoice_table(doc): the same text the CLI prints."""
    state = "finalized" if doc.status == "finalized" else "draft"
    blocks = [section(f"*Invoice {esc(doc.month)}: {esc(doc.customer)}* ({state})")]
    facts = [("Plan", doc.plan_name), ("Total", money(doc.total, doc.currency))]
    if doc.true_up:
        facts.append(("Minimum commitment true-up", money(doc.true_up, doc.currency)))
    blocks += fields(facts)
    blocks += _code_sections(table.splitlines())
    if doc.usage_as_of is not None:
        blocks.append(context(f"Usage counted up to {doc.usage_as_of:%Y-%m-%d %H:%M} UTC."))
    blocks += [context(esc(note)) for note in doc.notes[:5]]
    return blocks


def _code_sections(lines: list[str]) -> list[Block]:
    """The table in code blocks of at most 3000 characters each."""
    room = SECTION_TEXT_LIMIT - 2 * len(CODE_FENCE) - 2
    chunks: list[list[str]] = [[]]
    for line in lines:
        if sum(len(x) + 1 for x in chunks[-1]) + len(line) > room:
            chunks.append([])
        chunks[-1].append(esc(line[:room]))
    blocks = [section(f"{CODE_FENCE}\n" + "\n".join(c) + f"\n{CODE_FENCE}") for c in chunks if c]
    return blocks[:MAX_TABLE_BLOCKS]
