"""An invoice as a readable text table or as CSV (one row per line, tier and total)."""

from __future__ import annotations

import csv
import io

from core.billing.document import InvoiceDoc, InvoiceLine, LineKind
from core.formatting import amount_text, plain, price, quantity, table

CSV_COLUMNS = [
    "customer",
    "month",
    "currency",
    "kind",
    "item",
    "dimension",
    "unit",
    "quantity",
    "prepaid",
    "included",
    "billable",
    "unit_price",
    "tier_up_to",
    "amount",
]


def _header(doc: InvoiceDoc) -> list[str]:
    state = "finalized" if doc.status == "finalized" else "draft"
    if doc.usage_as_of is not None:
        state += f", usage to {doc.usage_as_of:%Y-%m-%d %H:%M} UTC"
    return [
        f"Invoice {doc.month} for {doc.customer} ({state})",
        f"Plan {doc.plan_name} (prices from {doc.prices_from}), amounts in {doc.currency}",
        "",
    ]


def _rows(line: InvoiceLine, currency: str) -> list[tuple[str, ...]]:
    if line.kind != LineKind.USAGE:
        return [(line.description, "", "", "", "", "", amount_text(line.amount, currency))]
    unit_price = line.price_model if line.unit_price is None else price(line.unit_price)
    rows: list[tuple[str, ...]] = [
        (
            f"{line.description} ({line.unit})",
            quantity(line.quantity),
            quantity(line.prepaid),
            quantity(line.included),
            quantity(line.billable),
            unit_price,
            amount_text(line.amount, currency),
        )
    ]
    for tier in line.tiers:
        bound = "and above" if tier.up_to is None else f"up to {price(tier.up_to)}"
        fee = f" + {price(tier.flat_fee)}" if tier.flat_fee else ""
        label = f"  {bound}: {quantity(tier.quantity)} x {price(tier.unit_price)}{fee}"
        rows.append((label, "", "", "", "", "", ""))
    return rows


def invoice_table(doc: InvoiceDoc) -> str:
    """A fixed-width table for a terminal or a Slack code block."""
    head = ("Item", "Quantity", "Prepaid", "Included", "Billable", "Unit price", "Amount")
    lines = [line for line in doc.lines if line.kind != LineKind.MINIMUM]  # shown in the totals
    rows = [head] + [row for line in lines for row in _rows(line, doc.currency)]
    totals = [("Subtotal", doc.subtotal)]
    if doc.true_up:
        totals.append(("Minimum commitment true-up", doc.true_up))
    totals.append((f"Total {doc.currency}", doc.total))
    body = table(rows, align="<>>>>>>")
    width = max(len(line) for line in body)
    out = _header(doc) + body
    out.append("-" * width)
    out += [
        f"{label}  {amount_text(amount, doc.currency)}".rjust(width) for label, amount in totals
    ]
    return "\n".join(out)


def invoice_csv(doc: InvoiceDoc) -> str:
    """CSV with exact amounts; tiers as rows of kind `tier`, totals as rows at the end."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    base = [doc.customer, doc.month, doc.currency]
    for line in doc.lines:
        writer.writerow(base + _csv_line(line))
        for tier in line.tiers:
            up_to = "" if tier.up_to is None else price(tier.up_to)
            tier_row = ["tier", line.description, line.dimension or "", line.unit]
            tier_row.append(quantity(tier.quantity))
            writer.writerow(
                base + tier_row + ["", "", "", price(tier.unit_price), up_to, plain(tier.amount)]
            )
    for kind, amount in (("subtotal", doc.subtotal), ("total", doc.total)):
        writer.writerow(base + [kind, kind.replace("_", "-")] + [""] * 8 + [str(amount)])
    return buffer.getvalue()


def _csv_line(line: InvoiceLine) -> list[str]:
    if line.kind != LineKind.USAGE:
        return [line.kind, line.description] + [""] * 8 + [str(line.amount)]
    unit_price = "" if line.unit_price is None else price(line.unit_price)
    return [
        line.kind,
        line.description,
        line.dimension or "",
        line.unit,
        quantity(line.quantity),
        quantity(line.prepaid),
        quantity(line.included),
        quantity(line.billable),
        unit_price,
        "",
        str(line.amount),
    ]
