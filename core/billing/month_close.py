"""Closing a month: every customer's invoice finalized, summed up, and one CSV of them all."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.billing.invoices import InvoiceDoc, finalize_invoice, invoice_csv
from core.customers.lookup import contract_at
from core.db import session_scope
from core.formatting import coded
from core.models import Customer
from core.notifier import Attachment, Message, Severity
from core.periods import Period, month_label

_SHOWN = 20


def close_month(engine: Engine, *, period: Period, now: datetime) -> list[InvoiceDoc]:
    """Finalize the month's invoices in one unit of work, committed once all are stored."""
    with session_scope(engine) as session:
        return finalize_month(session, period=period, now=now)


def finalize_month(session: Session, *, period: Period, now: datetime) -> list[InvoiceDoc]:
    """The finalized invoice of each customer with a contract in the month (idempotent:
    an invoice already finalized is returned as stored). Deactivated customers included."""
    docs = []
    for customer in session.exec(select(Customer).order_by(col(Customer.name))):
        if customer.id is None:
            continue
        if contract_at(session, customer_id=customer.id, at=period) is None:
            continue
        docs.append(finalize_invoice(session, customer_id=customer.id, period=period, now=now))
    return docs


def month_close_message(period: Period, docs: list[InvoiceDoc]) -> Message:
    label = month_label(period)
    totals: dict[str, Decimal] = {}
    for doc in docs:
        totals[doc.currency] = totals.get(doc.currency, Decimal(0)) + doc.total
    total_text = ", ".join(coded(amount, cur) for cur, amount in sorted(totals.items()))
    ranked = sorted(docs, key=lambda d: d.total, reverse=True)
    lines = [f"{d.customer}: {coded(d.total, d.currency)}" for d in ranked[:_SHOWN]]
    if len(ranked) > _SHOWN:
        lines.append(f"... and {len(ranked) - _SHOWN} more in the CSV")
    return Message(
        title=f"Invoices for {label}",
        summary=f"{len(docs)} invoices finalized, {total_text or 'nothing to invoice'}",
        severity=Severity.SUCCESS,
        facts=[("Month", label), ("Invoices", str(len(docs))), ("Total", total_text or "0")],
        lines=lines,
        attachments=[
            Attachment(
                filename=f"invoices-{label}.csv",
                content=combined_csv(docs).encode(),
                title=f"Invoices {label} (every line, exact amounts)",
            )
        ],
    )


def combined_csv(docs: list[InvoiceDoc]) -> str:
    """Each invoice's CSV one after the other, under a single header row."""
    parts = [invoice_csv(doc) for doc in docs]
    if not parts:
        return ""
    header, _, _ = parts[0].partition("\n")
    return header + "\n" + "".join(part.partition("\n")[2] for part in parts)
