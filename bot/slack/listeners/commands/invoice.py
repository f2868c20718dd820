"""/meter invoice CUSTOMER [YYYY-MM]: the month's invoice (this month by default)."""

from __future__ import annotations

import re

from sqlmodel import Session

from bot.slack.subcommands import require, split_last
from bot.slack.views.invoice import invoice_blocks
from core.billing.document import InvoiceDoc
from core.billing.invoices import build_invoice, invoice_table
from core.customers.lookup import find_customer
from core.periods import month_of, parse_month

from .request import CommandRequest

MONTH = re.compile(r"\d{4}-\d{1,2}")
USAGE = "invoice CUSTOMER [YYYY-MM]"


async def run(req: CommandRequest) -> None:
    name, month = split_last(req.rest, MONTH)
    require(name, USAGE)
    now = req.deps.now()

    def load(session: Session) -> tuple[InvoiceDoc, str]:
        customer = find_customer(session, name)
        assert customer.id is not None
        period = parse_month(month) if month else month_of(now)
        doc = build_invoice(session, customer_id=customer.id, period=period, now=now)
        return doc, invoice_table(doc)

    doc, table = await req.deps.read(load)
    await req.reply(f"Invoice {doc.month} for {doc.customer}", invoice_blocks(doc, table))
