"""An invoice as a readable text table or as CSV (one row per line, tier and total)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from core.billing.document import InvoiceDoc, InvoiceLine, LineKind

_QUANTITY_PLACES = Decimal("0.000001")  # what Marketplace takes; the amount used the exact value

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


def quantity_text(value: Decimal) -> str:
    """A quantity for reading: at most 6 decimals, no trailing zeros."""
    text = f"{value.quantize(_QUANTITY_PLACES):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_text(value: Decimal) -> str:
    return f"{value:,f}"


def _header(doc: InvoiceDoc) -> list[str]:
    state = "finalized" if doc.status == "finalized" else "draft"
    if doc.usage_as_of is not None:
        state += f", usage to {doc.usage_as_of:%Y-%m-%d %H:%M} UTC"
    return [
        f"Invoice {doc.month} for {doc.customer} ({state})",
        f"Plan {doc.plan_name} (prices from {doc.prices_from}), amounts in {doc.currency}",
        "",
    ]


def _rows(line: InvoiceLine) -> list[tuple[str, ...]]:
    if line.kind != LineKind.USAGE:
        return [(line.description, "", "", "", "", "", money_text(line.amount))]
    price = line.price_model if line.unit_price is None else f"{line.unit_price:f}"
    rows: list[tuple[str, ...]] = [
        (
            f"{line.description} ({line.unit})",
            quantity_text(line.quantity),
            quantity_text(line.prepaid),
            quantity_text(line.included),
            quantity_text(line.billable),
            price,
            money_text(line.amount),
        )
    ]
    for tier in line.tiers:
        bound = "and above" if tier.up_to is None else f"up to {quantity_text(tier.up_to)}"
        fee = f" + {tier.flat_fee:f}" if tier.flat_fee else ""
        label = f"  {bound}: {quantity_text(tier.quantity)} x {tier.unit_price:f}{fee}"
        rows.append((label, "", "", "", "", "", ""))
    return rows


def invoice_table(doc: InvoiceDoc) -> str:
    """A fixed-width table for a terminal or a Slack code block."""
    head = ("Item", "Quantity", "Prepaid", "Included", "Billable", "Unit price", "Amount")
    lines = [line for line in doc.lines if line.kind != LineKind.MINIMUM]  # shown in the totals
    rows = [head] + [row for line in lines for row in _rows(line)]
    totals = [("Subtotal", money_text(doc.subtotal))]
    if doc.true_up:
        totals.append(("Minimum commitment true-up", money_text(doc.true_up)))
    totals.append((f"Total {doc.currency}", money_text(doc.total)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    out = _header(doc)
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    width = len(out[-1]) if rows else 40
    out.append("-" * width)
    out += [f"{label}  {amount}".rjust(width) for label, amount in totals]
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
            up_to = "" if tier.up_to is None else str(tier.up_to)
            tier_row = ["tier", line.description, line.dimension or "", line.unit]
            tier_row.append(quantity_text(tier.quantity))
            writer.writerow(
                base + tier_row + ["", "", "", str(tier.unit_price), up_to, str(tier.amount)]
            )
    for kind, amount in (("subtotal", doc.subtotal), ("total", doc.total)):
        writer.writerow(base + [kind, kind.replace("_", "-")] + [""] * 8 + [str(amount)])
    return buffer.getvalue()


def _csv_line(line: InvoiceLine) -> list[str]:
    if line.kind != LineKind.USAGE:
        return [line.kind, line.description] + [""] * 8 + [str(line.amount)]
    unit_price = "" if line.unit_price is None else str(line.unit_price)
    return [
        line.kind,
        line.description,
        line.dimension or "",
        line.unit,
        quantity_text(line.quantity),
        quantity_text(line.prepaid),
        quantity_text(line.included),
        quantity_text(line.billable),
        unit_price,
        "",
        str(line.amount),
    ]
